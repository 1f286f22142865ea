import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { ChargePointSchema } from './charge-point.js';

/** The OCPP ChargingSchedule object, stored as sent. */
export interface ChargingScheduleJson {
  duration?: number;
  startSchedule?: string;
  chargingRateUnit: 'A' | 'W';
  chargingSchedulePeriod: { startPeriod: number; limit: number; numberPhases?: number }[];
  minChargingRate?: number;
}

/**
 * A charging profile set on (or prepared for) a charge point. `chargePoint` null = a template not
 * yet sent anywhere. `chargingProfileId` is the OCPP id, unique per charge point, not globally.
 */
export const ChargingProfileSchema = defineEntity({
  name: 'ChargingProfile',
  tableName: 'charging_profile',
  properties: {
    id: p.integer().primary().autoincrement(),
    // No single-column FK index: the composite index below starts with this column.
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk().nullable().index(false),
    connectorId: p.integer(),
    chargingProfileId: p.integer(),
    stackLevel: p.integer(),
    /** 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile' */
    purpose: p.string().length(32),
    /** 'Absolute' | 'Recurring' | 'Relative' */
    kind: p.string().length(16),
    recurrencyKind: p.string().length(16).nullable(),
    validFrom: p.datetime(3).nullable(),
    validTo: p.datetime(3).nullable(),
    transactionId: p.integer().nullable(),
    schedule: p.json<ChargingScheduleJson>(),
    /** e.g. 'Pending', 'Accepted', 'Rejected', 'NotSupported', 'Cleared'. */
    status: p.string().length(32),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  },
  indexes: [{ name: 'charging_profile_cp_conn_idx', properties: ['chargePoint', 'connectorId'] }],
});

export type ChargingProfile = InferEntity<typeof ChargingProfileSchema>;
