import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ChargingScheduleJson } from './charging-profile.js';

/**
 * A charging profile of the library: stored once with a name, applied to any charge point. `id` is
 * the OCPP `chargingProfileId` the central system picked for it (sent as is when applied, so applying
 * it again replaces it on the charger).
 */
export const ChargingProfileTemplateSchema = defineEntity({
  name: 'ChargingProfileTemplate',
  tableName: 'charging_profile_template',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(64).unique(),
    description: p.string().length(255).nullable(),
    stackLevel: p.integer(),
    /** 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile' */
    purpose: p.string().length(32),
    /** 'Absolute' | 'Recurring' | 'Relative' */
    kind: p.string().length(16),
    recurrencyKind: p.string().length(16).nullable(),
    validFrom: p.datetime(3).nullable(),
    validTo: p.datetime(3).nullable(),
    schedule: p.json<ChargingScheduleJson>(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

export type ChargingProfileTemplate = InferEntity<typeof ChargingProfileTemplateSchema>;
