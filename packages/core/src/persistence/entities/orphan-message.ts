import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

export type OrphanAction = 'StopTransaction' | 'MeterValues';

/**
 * A StopTransaction for an unknown transaction id (incl. -1 and 0), or MeterValues for an unknown
 * or closed transaction. They are acknowledged to the charger (it must not retry forever) and kept
 * here for an operator to review; they are never attached to another transaction automatically.
 */
export const OrphanMessageSchema = defineEntity({
  name: 'OrphanMessage',
  tableName: 'orphan_message',
  properties: {
    // SQLite turns an autoincrement column into `integer` (64-bit there); without ignoring the type,
    // every schema diff on SQLite would try to rebuild the table.
    id: p.bigint('number').primary().autoincrement().ignoreSchemaChanges('type'),
    // No single-column FK index: the composite index below starts with this column.
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk().index(false),
    action: p.string().length(32).$type<OrphanAction>(),
    claimedTransactionId: p.integer().nullable(),
    reason: p.string().length(255),
    payload: p.json<unknown>(),
    receivedAt: p.datetime(3),
    reviewedAt: p.datetime(3).nullable(),
  },
  indexes: [{ name: 'orphan_message_cp_received_idx', properties: ['chargePoint', 'receivedAt'] }],
});

export type OrphanMessage = InferEntity<typeof OrphanMessageSchema>;
