import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

/**
 * History of the device-level messages: BootNotification, DiagnosticsStatusNotification,
 * FirmwareStatusNotification and DataTransfer. `payload` is the request as received.
 */
export const DeviceEventSchema = defineEntity({
  name: 'DeviceEvent',
  tableName: 'device_event',
  properties: {
    // SQLite turns an autoincrement column into `integer` (64-bit there); without ignoring the type,
    // every schema diff on SQLite would try to rebuild the table.
    id: p.bigint('number').primary().autoincrement().ignoreSchemaChanges('type'),
    // No single-column FK index: the composite index below starts with this column.
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk().index(false),
    /** 'BootNotification' | 'DiagnosticsStatusNotification' | 'FirmwareStatusNotification' | 'DataTransfer' | ... */
    kind: p.string().length(64),
    status: p.string().length(64).nullable(),
    payload: p.json<unknown>(),
    receivedAt: p.datetime(3),
  },
  indexes: [{ name: 'device_event_cp_received_idx', properties: ['chargePoint', 'receivedAt'] }],
});

export type DeviceEvent = InferEntity<typeof DeviceEventSchema>;
