import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

/** The local authorization list version last sent to a charge point (SendLocalList). */
export const LocalAuthListSchema = defineEntity({
  name: 'LocalAuthList',
  tableName: 'local_auth_list',
  properties: {
    // The charge point's id is the primary key (and a FK); the PK index serves the FK.
    chargePoint: () => p.manyToOne(ChargePointSchema).primary().mapToPk().index(false),
    version: p.integer(),
    /** Last SendLocalList outcome: 'Accepted' | 'Failed' | 'NotSupported' | 'VersionMismatch' | 'Pending'. */
    status: p.string().length(32),
    syncedAt: p.datetime(3).nullable(),
    /** What the charge point holds after the last accepted SendLocalList (idTag → idTagInfo), to compute differential updates. */
    entries: p.json<Record<string, unknown>>().nullable(),
    /** Off: no automatic sync for this charge point (after boot or IdTag changes); a manual SendLocalList turns it off. */
    autoSync: p.boolean().default(true),
  },
});

export type LocalAuthList = InferEntity<typeof LocalAuthListSchema>;
