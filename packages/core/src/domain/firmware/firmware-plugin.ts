import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import type { CoreInternalServices } from '../../services.js';
import { createFilesRoutes } from './firmware-routes.js';
import { FILES_PATH, FirmwareService, type FirmwareOptions } from './firmware-service.js';

export const FIRMWARE_PLUGIN_NAME = 'core-firmware';

/**
 * Built-in plugin: provides the `firmware` service (FirmwareService: UpdateFirmware, GetDiagnostics,
 * firmware files, status) and registers the charge points' file locations under `/ocpp-files`
 * (the routes are part of this feature: firmware-routes.ts).
 */
export function firmwarePlugin(internals: Pick<CoreInternalServices, 'orm' | 'batcher'>, options: Partial<FirmwareOptions> = {}): CsmsPlugin {
  return definePlugin({
    name: FIRMWARE_PLUGIN_NAME,
    setup(ctx) {
      const { services } = ctx;
      const service = new FirmwareService(
        {
          orm: internals.orm,
          batcher: internals.batcher,
          commands: services.get('commands'),
          config: ctx.config,
          clock: services.get('clock'),
          log: ctx.log,
        },
        options,
      );
      ctx.provide('firmware', service);
      ctx.routes(createFilesRoutes(service, ctx.log), { prefix: FILES_PATH });
    },
  });
}
