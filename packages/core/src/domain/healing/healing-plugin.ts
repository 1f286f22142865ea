import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import { HealingService, type HealingOptions } from './healing-service.js';

export const HEALING_PLUGIN_NAME = 'core-healing';

/**
 * Built-in plugin: provides the `healing` service (HealingService) and feeds it every connector
 * StatusNotification, so connectors that disagree with the open transactions are re-queried with
 * TriggerMessage (and lost stops flagged).
 */
export function healingPlugin(options: Partial<HealingOptions> = {}): CsmsPlugin {
  let service: HealingService | undefined;
  return definePlugin({
    name: HEALING_PLUGIN_NAME,
    hooks: {
      onStatusNotification: ({ chargePointId, status }) => service?.statusReported(chargePointId, status.connectorId, status.status),
      onChargePointDisconnected: ({ chargePointId }) => service?.forget(chargePointId),
    },
    setup(ctx) {
      const { services } = ctx;
      const created = new HealingService(
        {
          orm: services.get('orm'),
          batcher: services.get('batcher'),
          commands: services.get('commands'),
          sessions: services.get('sessions'),
          clock: services.get('clock'),
          log: ctx.log,
        },
        options,
      );
      service = created;
      ctx.provide('healing', created);
      ctx.onClose(() => created.close());
    },
  });
}
