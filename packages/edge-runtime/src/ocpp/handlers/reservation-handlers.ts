import type { CallHandler } from './handler-context.js';

export const reserveNow: CallHandler = (params, ctx) => ({ status: ctx.controller.reserve(params) });

export const cancelReservation: CallHandler = ({ reservationId }, ctx) => ({ status: ctx.controller.cancelReservation(reservationId) });
