import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import { LocalListService, type LocalListOptions } from './local-list-service.js';

export const LOCAL_LIST_PLUGIN_NAME = 'core-local-list';

/**
 * Built-in plugin: provides the `localList` service (LocalListService) and syncs a charge point's
 * local authorisation list a while after it connects or boots.
 */
export function localListPlugin(options: Partial<LocalListOptions> = {}): CsmsPlugin {
  let service: LocalListService | undefined;
  return definePlugin({
    name: LOCAL_LIST_PLUGIN_NAME,
    hooks: {
      onChargePointConnected: ({ chargePointId }) => service?.scheduleSync(chargePointId, 'connected'),
      onChargePointDisconnected: ({ chargePointId }) => service?.forget(chargePointId),
      onBootNotification: ({ chargePointId }) => service?.scheduleSync(chargePointId, 'boot'),
    },
    setup(ctx) {
      const { services } = ctx;
      service = new LocalListService(
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
      ctx.provide('localList', service);
      const provided = service;
      ctx.onClose(() => provided.close());
    },
  });
}
