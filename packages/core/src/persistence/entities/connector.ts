import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

/**
 * The last known state of one connector (from StatusNotification). connectorId 0 is the charge
 * point itself. The history of every notification is in StatusEvent.
 */
export const ConnectorSchema = defineEntity({
  name: 'Connector',
  tableName: 'connector',
  properties: {
    id: p.integer().primary().autoincrement(),
    // No single-column FK index: the composite index below starts with this column.
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk().index(false),
    connectorId: p.integer(),
    status: p.string().length(32).nullable(),
    errorCode: p.string().length(50).nullable(),
    info: p.string().length(255).nullable(),
    vendorId: p.string().length(255).nullable(),
    vendorErrorCode: p.string().length(255).nullable(),
    /** The charge point's clock, as sent; may be skewed. */
    statusTimestamp: p.datetime(3).nullable(),
    /** Server clock. */
    updatedAt: p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  uniques: [{ name: 'connector_cp_connector_unique', properties: ['chargePoint', 'connectorId'] }],
});

export type Connector = InferEntity<typeof ConnectorSchema>;
