import { definePlugin } from '../../plugin.js';
import { ReservationService } from './reservation-service.js';

/**
 * Built-in plugin that provides the `reservations` service (ReserveNow, CancelReservation, expiry)
 * and runs its expiry timer from boot to close.
 */
export const reservationsPlugin = definePlugin({
  name: 'core-reservations',
  async setup(ctx) {
    const { services } = ctx;
    const reservations = new ReservationService({
      orm: services.get('orm'),
      batcher: services.get('batcher'),
      commands: services.get('commands'),
      sessions: services.get('sessions'),
      authorization: services.get('authorization'),
      clock: services.get('clock'),
      log: ctx.log,
    });
    await reservations.start();
    ctx.provide('reservations', reservations);
    ctx.onClose(() => reservations.close());
  },
});
