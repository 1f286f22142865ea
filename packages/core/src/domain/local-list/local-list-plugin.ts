import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import type { CoreInternalServices } from '../../services.js';
import { LocalListService, type LocalListOptions } from './local-list-service.js';

export const LOCAL_LIST_PLUGIN_NAME = 'core-local-list';

/**
 * Built-in plugin: provides the `localList` service (LocalListService) and syncs a charge point's
 * local authorisation list a while after it connects or boots.
 */
export function localListPlugin(
  internals: Pick<CoreInternalServices, 'orm' | 'batcher' | 'sessions' | 'load'>,
  options: Partial<LocalListOptions> = {},
): CsmsPlugin {
  return definePlugin({
    name: LOCAL_LIST_PLUGIN_NAME,
    setup(ctx) {
      const { services } = ctx;
      const service = new LocalListService(
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
      ctx.provide('localList', service);
      ctx.onClose(() => service.close());
      ctx.on('onChargePointConnected', ({ chargePointId }) => service.scheduleSync(chargePointId, 'connected'));
      ctx.on('onChargePointDisconnected', ({ chargePointId }) => service.forget(chargePointId));
      ctx.on('onBootNotification', ({ chargePointId }) => service.scheduleSync(chargePointId, 'boot'));
      // The IdTag table changed (the idTags service): drop the cached list and sync the chargers.
      ctx.on('onIdTagsChanged', () => service.markDirty());
    },
  });
}
