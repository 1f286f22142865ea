import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { TransactionSchema } from './transaction.js';

/** The columns of a sample, shared by `meter_sample` and its inbox (a fresh set of builders per table). */
function sampleColumns() {
  return {
    /**
     * The charge point's id. A plain column, not a foreign key: a foreign key needs an index of its
     * own (InnoDB creates one), and that index would be a second spread-out index on the hot path.
     * Removing a charge point deletes its samples explicitly (ChargePointRemoval).
     */
    chargePoint: p.string().length(48).fieldName('charge_point_id'),
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
  };
}

/**
 * One sampled value of a MeterValues (or StopTransaction.transactionData) message, with its unit
 * normalised ('Wh', 'W', 'A', 'V', 'Celsius', 'Percent', 'Hz', 'var', 'varh', 'VA', 'K', 'Fahrenheit').
 * `transaction` is null for samples not tied to a transaction (e.g. connector 0 main meter).
 * Samples for unknown or closed transactions go to OrphanMessage instead, never here.
 *
 * The hot table: one row per sampled value of every MeterValues. Each index whose key is spread
 * over the open sessions (transaction, charge point) costs a page write per row per commit (100
 * chargers, one sample each: 100 different leaf pages per index), so the table has exactly one such
 * index, and new samples reach it through `meter_sample_inbox`, many commits' worth at a time; see
 * docs/persistence.md "The meter-sample table".
 */
export const MeterSampleSchema = defineEntity({
  name: 'MeterSample',
  tableName: 'meter_sample',
  properties: {
    // SQLite turns an autoincrement column into `integer` (64-bit there); without ignoring the type,
    // every schema diff on SQLite would try to rebuild the table.
    id: p.bigint('number').primary().autoincrement().ignoreSchemaChanges('type'),
    // No single-column FK index: meter_sample_tx_measurand_ts_idx starts with this column.
    transaction: () => p.manyToOne(TransactionSchema).mapToPk().nullable().deleteRule('cascade').index(false),
    ...sampleColumns(),
  },
  indexes: [
    // A transaction's samples, its latest register, its maximum power (ML export) and the
    // duplicate check after a restart. The one index spread over the open sessions.
    { name: 'meter_sample_tx_measurand_ts_idx', properties: ['transaction', 'measurand', 'timestamp', 'value'] },
    // Site / charge point power per 15 minutes (covering: no table reads). Its key grows with time,
    // so rows are appended to the same few leaf pages.
    { name: 'meter_sample_measurand_ts_idx', properties: ['measurand', 'timestamp', 'chargePoint', 'connectorId', 'phase', 'value'] },
  ],
});

/**
 * Where MeterValues (and a Stop's transactionData) write their samples: the same columns as
 * `meter_sample`, with no index but the row id and no foreign key, so a commit of 100 chargers'
 * samples appends to one or two pages instead of touching 100 leaf pages of the transaction
 * index. `SampleInbox` moves the rows into `meter_sample` in arrival order about once a second,
 * and before anything reads `meter_sample` (docs/persistence.md "The sample inbox").
 */
export const MeterSampleInboxSchema = defineEntity({
  name: 'MeterSampleInbox',
  tableName: 'meter_sample_inbox',
  properties: {
    id: p.bigint('number').primary().autoincrement().ignoreSchemaChanges('type'),
    /** The transaction's id (checked by meter_sample's foreign key when the row is moved there). */
    transaction: p.integer().unsigned().nullable().fieldName('transaction_id'),
    ...sampleColumns(),
  },
});

export type MeterSample = InferEntity<typeof MeterSampleSchema>;
export type MeterSampleInbox = InferEntity<typeof MeterSampleInboxSchema>;
