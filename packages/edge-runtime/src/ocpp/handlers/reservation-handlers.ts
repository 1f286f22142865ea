import type { CallHandler } from './handler-context.js';

export const reserveNow: CallHandler<'ReserveNow'> = (params, ctx) => ({ status: ctx.controller.reserve(params) });

export const cancelReservation: CallHandler<'CancelReservation'> = ({ reservationId }, ctx) => ({ status: ctx.controller.cancelReservation(reservationId) });
