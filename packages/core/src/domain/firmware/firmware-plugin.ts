import { createFilesRoutes } from '../../http/files-routes.js';
import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import { FILES_PATH, FirmwareService, type FirmwareOptions } from './firmware-service.js';

export const FIRMWARE_PLUGIN_NAME = 'core-firmware';

/**
 * Built-in plugin: provides the `firmware` service (FirmwareService: UpdateFirmware, GetDiagnostics,
 * firmware files, status) and registers the charge points' file locations under `/ocpp-files`.
 */
export function firmwarePlugin(options: Partial<FirmwareOptions> = {}): CsmsPlugin {
  return definePlugin({
    name: FIRMWARE_PLUGIN_NAME,
    setup(ctx) {
      const { services } = ctx;
      const service = new FirmwareService(
        {
          orm: services.get('orm'),
          batcher: services.get('batcher'),
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
