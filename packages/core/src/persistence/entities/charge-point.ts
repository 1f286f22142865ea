import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Outcome of the last BootNotification; null = the charge point never booted. */
export type RegistrationStatus = 'Accepted' | 'Pending' | 'Rejected';

/**
 * A charge point, keyed by its OCPP identity (the last path segment of the websocket URL).
 * The boot fields are what the charger reported in its last BootNotification; they are kept so a
 * charger that reconnects without a new Boot (J16 §5.4) is recognised from stored state.
 */
export const ChargePointSchema = defineEntity({
  name: 'ChargePoint',
  tableName: 'charge_point',
  properties: {
    id: p.string().primary().length(48),
    vendor: p.string().length(64).nullable(),
    model: p.string().length(64).nullable(),
    serialNumber: p.string().length(64).nullable(),
    chargeBoxSerialNumber: p.string().length(64).nullable(),
    firmwareVersion: p.string().length(64).nullable(),
    iccid: p.string().length(32).nullable(),
    imsi: p.string().length(32).nullable(),
    meterType: p.string().length(64).nullable(),
    meterSerialNumber: p.string().length(64).nullable(),
    /** The charger's maximum power in kW (set by the operator); null = unknown (site default used). */
    maxPowerKw: p.double().nullable(),
    /** Free-text description for operators (location, bay number, ...). */
    description: p.string().length(255).nullable(),
    registrationStatus: p.string().length(16).$type<RegistrationStatus>().nullable(),
    /** Salted hash of the Basic-auth key (security profiles 1 and 2); never the key itself. */
    authKeyHash: p.string().length(255).nullable(),
    /** OCPP security profile: 0 = none, 1 = Basic auth, 2 = TLS + Basic auth. */
    securityProfile: p.integer().default(0),
    lastBootAt: p.datetime(3).nullable(),
    lastHeartbeatAt: p.datetime(3).nullable(),
    lastSeenAt: p.datetime(3).nullable(),
    diagnosticsStatus: p.string().length(32).nullable(),
    diagnosticsStatusAt: p.datetime(3).nullable(),
    firmwareStatus: p.string().length(32).nullable(),
    firmwareStatusAt: p.datetime(3).nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [
    // Auto-registration refuses an id that differs from a stored one only in letter case. MariaDB's
    // collation already compares ids that way (the primary key serves it); on SQLite the migration
    // creates this index as `(id collate nocase)`, so the check is a lookup instead of a pass over
    // every charge point (per registration group: quadratic in a reconnect storm).
    { name: 'charge_point_id_nocase_idx', properties: ['id'] },
  ],
});

export type ChargePoint = InferEntity<typeof ChargePointSchema>;
