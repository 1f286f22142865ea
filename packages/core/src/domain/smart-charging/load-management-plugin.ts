import type { Sessions } from '../../ocpp/sessions.js';
import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import { LoadManagementService, type RetryPolicy } from './load-management-service.js';

export interface LoadManagementOptions {
  retry?: Partial<RetryPolicy>;
}

/**
 * Site load management as a built-in plugin: provides the `loadManagement` service
 * (LoadManagementService) and asks it for a reconciliation pass on every event that changes the
 * allocation. The hooks only ask (they do not wait for the pass): a pass may wait for a charger
 * that times out, and observe hooks share one queue per charge point with every other plugin.
 * `loadManagement.settled()` waits for the passes.
 */
export function loadManagementPlugin(options: LoadManagementOptions = {}): CsmsPlugin {
  let service: LoadManagementService | undefined;
  let sessions: Sessions | undefined;
  return definePlugin({
    name: 'core-load-management',
    hooks: {
      onTransactionStarted: () => void service?.request(),
      onTransactionStopped: () => void service?.request(),
      onSettingsChanged: ({ key }) => {
        if (key === 'site') void service?.request();
      },
      // Boot: the fail-safe profiles are sent again, whatever the table says.
      onBootNotification: ({ chargePointId, status }) => {
        if (status === 'Accepted') void service?.request(chargePointId, 'boot');
      },
      onChargePointConnected: ({ chargePointId, at }) => {
        if (!service) return;
        const session = sessions?.get(chargePointId);
        if (!session || session.connectedAt.getTime() !== at.getTime()) return;
        // A charger that reconnects without booting (J16 §5.4) gets what it missed.
        if (session.registrationStatus === 'Accepted') void service.request(chargePointId, 'reconnect');
      },
    },
    setup(ctx) {
      const s = ctx.services;
      sessions = s.get('sessions');
      service = new LoadManagementService({
        orm: s.get('orm'),
        batcher: s.get('batcher'),
        commands: s.get('commands'),
        sessions: s.get('sessions'),
        settings: s.get('settings'),
        config: s.get('config'),
        clock: s.get('clock'),
        log: ctx.log,
        ...(options.retry ? { retry: options.retry } : {}),
      });
      ctx.provide('loadManagement', service);
      ctx.onClose(() => service?.close());
      // Tidy up after a restart (TxProfiles of transactions that ended meanwhile).
      void service.request();
    },
  });
}
