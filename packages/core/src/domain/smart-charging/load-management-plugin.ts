import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import type { CoreInternalServices } from '../../services.js';
import { LoadManagementService, type RetryPolicy } from './load-management-service.js';

export interface LoadManagementOptions {
  retry?: Partial<RetryPolicy>;
}

/**
 * Site load management as a built-in plugin: provides the `loadManagement` service
 * (LoadManagementService) and asks it for a reconciliation pass on every event that changes the
 * allocation. The hooks only ask (they do not wait for the pass): a pass may wait for a charger
 * that times out, and observe hooks share one queue per charge point with every other plugin.
 * `loadManagement.settled()` waits for the passes. The composition root hands it the internals it
 * needs (database, write batcher, connections); its state lives in the setup closure.
 */
export function loadManagementPlugin(
  internals: Pick<CoreInternalServices, 'orm' | 'batcher' | 'sessions'>,
  options: LoadManagementOptions = {},
): CsmsPlugin {
  return definePlugin({
    name: 'core-load-management',
    setup(ctx) {
      const s = ctx.services;
      const { sessions } = internals;
      const service = new LoadManagementService({
        orm: internals.orm,
        batcher: internals.batcher,
        commands: s.get('commands'),
        sessions,
        settings: s.get('settings'),
        config: s.get('config'),
        clock: s.get('clock'),
        log: ctx.log,
        ...(options.retry ? { retry: options.retry } : {}),
      });
      ctx.provide('loadManagement', service);
      ctx.onClose(() => service.close());
      ctx.on('onTransactionStarted', () => void service.request());
      ctx.on('onTransactionStopped', () => void service.request());
      ctx.on('onSettingsChanged', ({ key }) => {
        if (key === 'site') void service.request();
      });
      // Boot: the fail-safe profiles are sent again, whatever the table says.
      ctx.on('onBootNotification', ({ chargePointId, status }) => {
        if (status === 'Accepted') void service.request(chargePointId, 'boot');
      });
      ctx.on('onChargePointConnected', ({ chargePointId, at }) => {
        const session = sessions.get(chargePointId);
        if (!session || session.connectedAt.getTime() !== at.getTime()) return;
        // A charger that reconnects without booting (J16 §5.4) gets what it missed.
        if (session.registrationStatus === 'Accepted') void service.request(chargePointId, 'reconnect');
      });
      // Tidy up after a restart (TxProfiles of transactions that ended meanwhile).
      void service.request();
    },
  });
}
