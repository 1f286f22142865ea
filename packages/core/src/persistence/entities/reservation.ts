import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

/** A ReserveNow sent to a charge point; `id` is the OCPP reservationId. */
export const ReservationSchema = defineEntity({
  name: 'Reservation',
  tableName: 'reservation',
  properties: {
    id: p.integer().primary().autoincrement(),
    // No single-column FK index: the composite index below starts with this column.
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk().index(false),
    connectorId: p.integer(),
    idTag: p.string().length(20),
    parentIdTag: p.string().length(20).nullable(),
    expiryDate: p.datetime(3),
    /** e.g. 'Pending', 'Accepted', 'Faulted', 'Occupied', 'Rejected', 'Unavailable', 'Cancelled', 'Used', 'Expired'. */
    status: p.string().length(32),
    transactionId: p.integer().nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [{ name: 'reservation_cp_conn_idx', properties: ['chargePoint', 'connectorId'] }],
});

export type Reservation = InferEntity<typeof ReservationSchema>;
