import { definePlugin, type CsmsPlugin } from '../../plugin.js';
import type { CoreInternalServices } from '../../services.js';
import { ReservationService } from './reservation-service.js';

/**
 * Built-in plugin that provides the `reservations` service (ReserveNow, CancelReservation, expiry)
 * and runs its expiry timer from boot to close.
 */
export function reservationsPlugin(internals: Pick<CoreInternalServices, 'orm' | 'batcher' | 'sessions' | 'authorization'>): CsmsPlugin {
  return definePlugin({
    name: 'core-reservations',
    async setup(ctx) {
      const { services } = ctx;
      const reservations = new ReservationService({
        orm: internals.orm,
        batcher: internals.batcher,
        commands: services.get('commands'),
        sessions: internals.sessions,
        authorization: internals.authorization,
        clock: services.get('clock'),
        log: ctx.log,
      });
      await reservations.start();
      ctx.provide('reservations', reservations);
      ctx.onClose(() => reservations.close());
    },
  });
}
