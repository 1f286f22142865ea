import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

export type TransactionStatus = 'Active' | 'Completed';

/**
 * A charging session. `id` IS the OCPP transactionId returned in StartTransaction.conf: it comes
 * from the database's auto-increment (SQLite `AUTOINCREMENT`, MariaDB `AUTO_INCREMENT`), so it is
 * never reused, also after the newest rows are deleted or the server restarts (field failure F5).
 *
 * Timestamps: `startTimestamp`/`stopTimestamp` are the charge point's clock as sent (may be
 * skewed, never rejected); `startReceivedAt`/`stopReceivedAt` are the server's clock.
 *
 * The unique index `charge_transaction_start_idem_unique` makes a resent identical
 * StartTransaction (same charge point, connector, idTag, timestamp and meterStart) collide, so the
 * handler can return the existing transactionId instead of opening a second session (F2).
 */
export const TransactionSchema = defineEntity({
  name: 'Transaction',
  tableName: 'charge_transaction',
  properties: {
    id: p.integer().primary().autoincrement(),
    // No single-column FK index: the composite index below starts with this column.
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk().index(false),
    connectorId: p.integer(),
    idTag: p.string().length(20),
    /** idTagInfo.status returned in StartTransaction.conf. */
    idTagStatus: p.string().length(16),
    parentIdTag: p.string().length(20).nullable(),
    reservationId: p.integer().nullable(),
    /** Wh, as sent by the charger. */
    meterStart: p.bigint('number'),
    startTimestamp: p.datetime(3),
    startReceivedAt: p.datetime(3),
    meterStop: p.bigint('number').nullable(),
    stopTimestamp: p.datetime(3).nullable(),
    stopReceivedAt: p.datetime(3).nullable(),
    stopReason: p.string().length(32).nullable(),
    stopIdTag: p.string().length(20).nullable(),
    /** Billed energy in Wh; never negative (register resets are flagged, not billed). */
    energyWh: p.bigint('number').nullable(),
    /** Cost in whole IDR. */
    cost: p.bigint('number').nullable(),
    /** How `cost` was computed (tariff used, energy/time/idle/tax parts), for receipts and audits. */
    costBreakdown: p.json<Record<string, unknown>>().nullable(),
    /** Anomaly flags (e.g. 'meter-stop-below-start', 'clock-skew'); never null. */
    flags: p
      .json<string[]>()
      .onCreate((tx: { flags?: string[] }) => tx.flags ?? []),
    status: p.string().length(16).$type<TransactionStatus>(),
  },
  indexes: [
    { name: 'charge_transaction_cp_conn_status_idx', properties: ['chargePoint', 'connectorId', 'status'] },
    { name: 'charge_transaction_id_tag_idx', properties: ['idTag'] },
    { name: 'charge_transaction_start_ts_idx', properties: ['startTimestamp'] },
    // Read models (QueryService): filters + newest-first pages, sort keys, and covering indexes for the
    // per-hour/day aggregates (bench/query-volume.mjs measures them at 100,000 transactions).
    { name: 'charge_transaction_status_start_idx', properties: ['status', 'startTimestamp'] },
    { name: 'charge_transaction_id_tag_start_idx', properties: ['idTag', 'startTimestamp'] },
    { name: 'charge_transaction_stop_ts_idx', properties: ['stopTimestamp'] },
    // "Latest" by server receive time (REST default sort): immune to charger clocks that are off.
    { name: 'charge_transaction_start_received_idx', properties: ['startReceivedAt'] },
    { name: 'charge_transaction_energy_idx', properties: ['energyWh'] },
    { name: 'charge_transaction_cost_idx', properties: ['cost'] },
    { name: 'charge_transaction_start_stats_idx', properties: ['startTimestamp', 'status', 'energyWh', 'cost'] },
    { name: 'charge_transaction_cp_start_stats_idx', properties: ['chargePoint', 'startTimestamp', 'status', 'energyWh', 'cost'] },
  ],
  uniques: [
    {
      name: 'charge_transaction_start_idem_unique',
      properties: ['chargePoint', 'connectorId', 'idTag', 'startTimestamp', 'meterStart'],
    },
  ],
});

export type Transaction = InferEntity<typeof TransactionSchema>;
