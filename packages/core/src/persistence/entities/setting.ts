import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A runtime setting changed from the dashboard/API (tariff, grid limit, maintenance mode, ...). */
export const SettingSchema = defineEntity({
  name: 'Setting',
  tableName: 'setting',
  properties: {
    key: p.string().primary().length(128),
    value: p.json<unknown>(),
    updatedAt: p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

export type Setting = InferEntity<typeof SettingSchema>;
