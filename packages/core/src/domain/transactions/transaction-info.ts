import type { Transaction } from '../../persistence/entities/index.js';

/**
 * A transaction as plugins see it (hook payloads, services): plain, frozen, JSON-ready data, never
 * the ORM entity. Times are ISO-8601 strings.
 */
export interface TransactionInfo {
  /** The OCPP transactionId. */
  readonly id: number;
  readonly chargePointId: string;
  readonly connectorId: number;
  readonly idTag: string;
  readonly status: 'Active' | 'Completed';
  /** Energy register at start, Wh, as sent by the charger. */
  readonly meterStartWh: number;
  /** Energy register at stop, Wh (null while active). */
  readonly meterStopWh: number | null;
  /** Billed energy, Wh (never negative; null while active). */
  readonly energyWh: number | null;
  /** Start time by the charger's clock (may be skewed; see `flags`). */
  readonly startedAt: string;
  /** Stop time by the charger's clock. */
  readonly stoppedAt: string | null;
  /** OCPP stop reason (`Local` when the charger sent none). */
  readonly stopReason: string | null;
  /** Final cost in whole IDR (null while active). */
  readonly costIdr: number | null;
  /** Anomaly flags, e.g. `clock-skew`, `meter-stop-below-start`. */
  readonly flags: readonly string[];
}

/** The frozen plain view of a transaction row. */
export function toTransactionInfo(tx: Transaction): TransactionInfo {
  return Object.freeze({
    id: tx.id,
    chargePointId: String(tx.chargePoint),
    connectorId: tx.connectorId,
    idTag: tx.idTag,
    status: tx.status,
    meterStartWh: Number(tx.meterStart),
    meterStopWh: tx.meterStop == null ? null : Number(tx.meterStop),
    energyWh: tx.energyWh == null ? null : Number(tx.energyWh),
    startedAt: tx.startTimestamp.toISOString(),
    stoppedAt: tx.stopTimestamp ? tx.stopTimestamp.toISOString() : null,
    stopReason: tx.stopReason ?? null,
    costIdr: tx.cost == null ? null : Number(tx.cost),
    flags: Object.freeze([...(tx.flags ?? [])]),
  });
}
