import type { EntityManager } from '@mikro-orm/core';
import type { Transaction } from '../../persistence/entities/index.js';
import type { TariffSettings } from '../settings/settings-service.js';
import { findChargingEndedAt } from './charging-ended-at.js';
import { computeCost, tariffFromBreakdown, type Cost, type CostBreakdown, type TimeSource } from './compute-cost.js';

/** Flags (set by the TransactionService) that say the charger's clock cannot be trusted for this session. */
const UNTRUSTED_CLOCK_FLAGS = new Set(['clock-implausible', 'clock-skew']);

/**
 * The cost of a transaction up to its end, with `energyWh` delivered. The tariff is the snapshot
 * taken at StartTransaction (kept in `costBreakdown.tariff`); a transaction without one (started
 * before tariffs were recorded) is priced with `currentTariff`.
 *
 * Times are the charger's (`startTimestamp`, `end.at`), as a session queued offline must be
 * billed for when it happened — unless the transaction is flagged with an unset or future clock
 * (a charger without a real-time clock says 1970 until its first Boot): then the receive times
 * (`startReceivedAt`, `end.receivedAt`) are used, so such a session is not billed for 56 years.
 * Idle time comes from the connector's StatusNotifications received up to `receivedTo` (absent =
 * all received so far, for a running transaction).
 */
export async function costOfTransaction(
  em: EntityManager,
  tx: Pick<Transaction, 'chargePoint' | 'connectorId' | 'startTimestamp' | 'startReceivedAt' | 'costBreakdown' | 'flags'>,
  options: { currentTariff: TariffSettings; energyWh: number; end: { at: Date; receivedAt: Date }; receivedTo?: Date },
): Promise<Cost> {
  const tariff = tariffFromBreakdown(tx.costBreakdown) ?? options.currentTariff;
  const timeSource: TimeSource = (tx.flags ?? []).some((f) => UNTRUSTED_CLOCK_FLAGS.has(f)) ? 'server' : 'charge-point';
  const chargingEndedAt = await findChargingEndedAt(em, {
    chargePointId: tx.chargePoint,
    connectorId: tx.connectorId,
    receivedFrom: tx.startReceivedAt,
    ...(options.receivedTo === undefined ? {} : { receivedTo: options.receivedTo }),
    timeSource,
  });
  return computeCost({
    tariff,
    energyWh: options.energyWh,
    startedAt: timeSource === 'server' ? tx.startReceivedAt : tx.startTimestamp,
    endedAt: timeSource === 'server' ? options.end.receivedAt : options.end.at,
    chargingEndedAt,
    timeSource,
  });
}

/**
 * The final `cost` and `costBreakdown` of a transaction whose stop fields (energyWh, stopTimestamp,
 * stopReceivedAt, flags) are set. Reads only through `em`, so it can run inside the
 * StopTransaction write work (which may run twice) without side effects.
 */
export async function finalCostFields(
  em: EntityManager,
  tx: Transaction,
  currentTariff: TariffSettings,
): Promise<{ cost: number; costBreakdown: CostBreakdown & Record<string, unknown> }> {
  const stopReceivedAt = tx.stopReceivedAt ?? tx.startReceivedAt;
  const cost = await costOfTransaction(em, tx, {
    currentTariff,
    energyWh: tx.energyWh ?? 0,
    end: { at: tx.stopTimestamp ?? tx.startTimestamp, receivedAt: stopReceivedAt },
    receivedTo: stopReceivedAt,
  });
  return { cost: cost.total, costBreakdown: cost.breakdown as CostBreakdown & Record<string, unknown> };
}

/** A snapshot of the tariff to keep on a running transaction (`costBreakdown` at StartTransaction). */
export function tariffSnapshot(tariff: TariffSettings, at: Date): Record<string, unknown> {
  return { tariff: { ...tariff }, tariffAt: at.toISOString() };
}
