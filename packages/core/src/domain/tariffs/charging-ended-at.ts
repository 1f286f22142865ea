import type { EntityManager } from '@mikro-orm/core';
import { StatusEventSchema } from '../../persistence/entities/index.js';
import type { TimeSource } from './compute-cost.js';

/** One StatusNotification of the session's connector, in the order it arrived. */
export interface StatusPoint {
  status: string;
  /** The charge point's timestamp, or the receive time when the charger sent none. */
  at: Date;
}

/** The car is plugged in and takes no power of its own accord (S16 §7.7), or the session is ending. */
const IDLE_STATUSES = new Set(['SuspendedEV', 'Finishing']);

/** Status events looked at, newest first: only the final run matters. */
const TAIL = 200;

/**
 * When charging effectively ended: the start of the final uninterrupted run of SuspendedEV /
 * Finishing notifications before the stop, or null when the session ended while charging. Any
 * other status (Charging again, SuspendedEVSE — the charger, not the car, paused —, Faulted, ...)
 * ends a run, so a car that pauses and resumes, or a charger that throttles it to zero, never
 * pays idle fees for it. `events` are in arrival order.
 */
export function chargingEndedFromStatuses(events: readonly StatusPoint[]): Date | null {
  let since: Date | null = null;
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (!IDLE_STATUSES.has(event.status)) break;
    since = event.at;
  }
  return since;
}

/**
 * Reads the connector's StatusNotifications received during the session (server clock window
 * `receivedFrom`..`receivedTo`, open-ended without `receivedTo`) and applies `chargingEndedFromStatuses`. Works on any entity
 * manager, including the write batch's (used inside the StopTransaction work).
 */
export async function findChargingEndedAt(
  em: EntityManager,
  where: { chargePointId: string; connectorId: number; receivedFrom: Date; receivedTo?: Date; timeSource?: TimeSource },
): Promise<Date | null> {
  const receivedAt = where.receivedTo === undefined ? { $gte: where.receivedFrom } : { $gte: where.receivedFrom, $lte: where.receivedTo };
  const rows = await em.find(
    StatusEventSchema,
    { chargePoint: where.chargePointId, connectorId: where.connectorId, receivedAt },
    { orderBy: { id: 'desc' }, limit: TAIL },
  );
  const server = where.timeSource === 'server';
  return chargingEndedFromStatuses(rows.reverse().map((r) => ({ status: r.status, at: server ? r.receivedAt : (r.timestamp ?? r.receivedAt) })));
}
