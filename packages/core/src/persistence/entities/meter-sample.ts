import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';
import { TransactionSchema } from './transaction.js';

/**
 * One sampled value of a MeterValues (or StopTransaction.transactionData) message, with its unit
 * normalised ('Wh', 'W', 'A', 'V', 'Celsius', 'Percent', 'Hz', 'var', 'varh', 'VA', 'K', 'Fahrenheit').
 * `transaction` is null for samples not tied to a transaction (e.g. connector 0 main meter).
 * Samples for unknown or closed transactions go to OrphanMessage instead, never here.
 */
export const MeterSampleSchema = defineEntity({
  name: 'MeterSample',
  tableName: 'meter_sample',
  properties: {
    // SQLite turns an autoincrement column into `integer` (64-bit there); without ignoring the type,
    // every schema diff on SQLite would try to rebuild the table.
    id: p.bigint('number').primary().autoincrement().ignoreSchemaChanges('type'),
    // No single-column FK index: meter_sample_tx_ts_idx starts with this column.
    transaction: () => p.manyToOne(TransactionSchema).mapToPk().nullable().deleteRule('cascade').index(false),
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk(),
    connectorId: p.integer(),
    /** The charge point's clock, as sent. */
    timestamp: p.datetime(3),
    receivedAt: p.datetime(3),
    measurand: p.string().length(64),
    phase: p.string().length(8).nullable(),
    location: p.string().length(8).nullable(),
    context: p.string().length(32),
    unit: p.string().length(16),
    /** Normalised numeric value; null when the charger sent a non-numeric value (e.g. SignedData), kept in rawValue. */
    value: p.double().nullable(),
    /** The value as sent, only when it is not a plain number. */
    rawValue: p.text().nullable(),
    format: p.string().length(16).nullable(),
    flags: p.json<string[]>().nullable(),
  },
  indexes: [
    { name: 'meter_sample_tx_ts_idx', properties: ['transaction', 'timestamp'] },
    // Read models (QueryService): site / charge point power per 15 minutes (covering: no table reads),
    // and a session's maximum power for the ML export (bench/query-volume.mjs: 5 million samples).
    { name: 'meter_sample_measurand_ts_idx', properties: ['measurand', 'timestamp', 'chargePoint', 'connectorId', 'phase', 'value'] },
    { name: 'meter_sample_tx_measurand_idx', properties: ['transaction', 'measurand', 'value'] },
  ],
});

export type MeterSample = InferEntity<typeof MeterSampleSchema>;
