import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * One operator command (remote start/stop, reset, settings change, ...). `chargePoint` is a plain
 * string, not a foreign key, so the log outlives deleted charge points.
 */
export const AuditLogSchema = defineEntity({
  name: 'AuditLog',
  tableName: 'audit_log',
  properties: {
    // SQLite turns an autoincrement column into `integer` (64-bit there); without ignoring the type,
    // every schema diff on SQLite would try to rebuild the table.
    id: p.bigint('number').primary().autoincrement().ignoreSchemaChanges('type'),
    at: p.datetime(3),
    actor: p.string().length(64),
    action: p.string().length(64),
    chargePoint: p.string().length(48).nullable(),
    request: p.json<unknown>(),
    result: p.json<unknown>().nullable(),
    /** e.g. 'ok', 'rejected', 'error', 'timeout'. */
    outcome: p.string().length(32),
  },
  indexes: [
    { name: 'audit_log_at_idx', properties: ['at'] },
    { name: 'audit_log_cp_at_idx', properties: ['chargePoint', 'at'] },
  ],
});

export type AuditLog = InferEntity<typeof AuditLogSchema>;
