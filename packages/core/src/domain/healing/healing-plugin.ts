import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import type { CoreInternalServices } from '../../services.js';
import { HealingService, type HealingOptions } from './healing-service.js';

export const HEALING_PLUGIN_NAME = 'core-healing';

/**
 * Built-in plugin: provides the `healing` service (HealingService) and feeds it every connector
 * StatusNotification, so connectors that disagree with the open transactions are re-queried with
 * TriggerMessage (and lost stops flagged).
 */
export function healingPlugin(
  internals: Pick<CoreInternalServices, 'orm' | 'batcher' | 'sessions' | 'load'>,
  options: Partial<HealingOptions> = {},
): CsmsPlugin {
  return definePlugin({
    name: HEALING_PLUGIN_NAME,
    setup(ctx) {
      const { services } = ctx;
      const service = new HealingService(
        {
          orm: internals.orm,
          batcher: internals.batcher,
          commands: services.get('commands'),
          sessions: internals.sessions,
          clock: services.get('clock'),
          log: ctx.log,
          load: internals.load,
        },
        options,
      );
      ctx.provide('healing', service);
      ctx.onClose(() => service.close());
      ctx.on('onStatusNotification', ({ chargePointId, status }) => service.statusReported(chargePointId, status.connectorId, status.status));
      ctx.on('onChargePointDisconnected', ({ chargePointId }) => service.forget(chargePointId));
    },
  });
}
