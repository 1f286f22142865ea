import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import type { CoreInternalServices } from '../../services.js';
import { MaintenanceService } from './maintenance-service.js';

/**
 * Maintenance mode as a built-in plugin: provides the `maintenance` service (MaintenanceService)
 * and applies `settings.maintenanceMode` when it changes and when a charge point boots or
 * reconnects. Hooks only queue the work (`maintenance.settled()` waits for it).
 */
export function maintenancePlugin(internals: Pick<CoreInternalServices, 'orm' | 'sessions'>): CsmsPlugin {
  return definePlugin({
    name: 'core-maintenance-mode',
    setup(ctx) {
      const s = ctx.services;
      const { sessions } = internals;
      const service = new MaintenanceService({
        orm: internals.orm,
        settings: s.get('settings'),
        commands: s.get('commands'),
        sessions,
        clock: s.get('clock'),
        log: ctx.log,
      });
      ctx.provide('maintenance', service);
      ctx.onClose(() => service.close());
      ctx.on('onSettingsChanged', ({ key, value, previous }) => {
        if (key === 'maintenanceMode' && value !== previous) void service.apply(value === true);
      });
      ctx.on('onBootNotification', ({ chargePointId, status }) => {
        if (status === 'Accepted') void service.chargePointReady(chargePointId, 'boot');
      });
      ctx.on('onChargePointConnected', ({ chargePointId, at }) => {
        const session = sessions.get(chargePointId);
        if (!session || session.connectedAt.getTime() !== at.getTime()) return;
        if (session.registrationStatus === 'Accepted') void service.chargePointReady(chargePointId, 'reconnect');
      });
    },
  });
}
