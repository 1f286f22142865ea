import type { Sessions } from '../../ocpp/sessions.js';
import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import { MaintenanceService } from './maintenance-service.js';

/**
 * Maintenance mode as a built-in plugin: provides the `maintenance` service (MaintenanceService)
 * and applies `settings.maintenanceMode` when it changes and when a charge point boots or
 * reconnects. Hooks only queue the work (`maintenance.settled()` waits for it).
 */
export function maintenancePlugin(): CsmsPlugin {
  let service: MaintenanceService | undefined;
  let sessions: Sessions | undefined;
  return definePlugin({
    name: 'core-maintenance-mode',
    hooks: {
      onSettingsChanged: ({ key, value, previous }) => {
        if (key === 'maintenanceMode' && value !== previous) void service?.apply(value === true);
      },
      onBootNotification: ({ chargePointId, status }) => {
        if (status === 'Accepted') void service?.chargePointReady(chargePointId, 'boot');
      },
      onChargePointConnected: ({ chargePointId, at }) => {
        const session = sessions?.get(chargePointId);
        if (!service || !session || session.connectedAt.getTime() !== at.getTime()) return;
        if (session.registrationStatus === 'Accepted') void service.chargePointReady(chargePointId, 'reconnect');
      },
    },
    setup(ctx) {
      const s = ctx.services;
      sessions = s.get('sessions');
      service = new MaintenanceService({
        orm: s.get('orm'),
        settings: s.get('settings'),
        commands: s.get('commands'),
        sessions,
        clock: s.get('clock'),
        log: ctx.log,
      });
      ctx.provide('maintenance', service);
      ctx.onClose(() => service?.close());
    },
  });
}
