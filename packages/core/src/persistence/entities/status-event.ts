import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

/** One StatusNotification as received (append-only history). */
export const StatusEventSchema = defineEntity({
  name: 'StatusEvent',
  tableName: 'status_event',
  properties: {
    // SQLite turns an autoincrement column into `integer` (64-bit there); without ignoring the type,
    // every schema diff on SQLite would try to rebuild the table.
    id: p.bigint('number').primary().autoincrement().ignoreSchemaChanges('type'),
    // No single-column FK index: the composite index below starts with this column.
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk().index(false),
    connectorId: p.integer(),
    status: p.string().length(32),
    errorCode: p.string().length(50),
    info: p.string().length(255).nullable(),
    vendorId: p.string().length(255).nullable(),
    vendorErrorCode: p.string().length(255).nullable(),
    /** The charge point's clock, as sent (optional in OCPP). */
    timestamp: p.datetime(3).nullable(),
    receivedAt: p.datetime(3),
  },
  indexes: [{ name: 'status_event_cp_received_idx', properties: ['chargePoint', 'receivedAt'] }],
});

export type StatusEvent = InferEntity<typeof StatusEventSchema>;
