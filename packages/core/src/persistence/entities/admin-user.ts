import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export type AdminRole = 'viewer' | 'operator' | 'admin';

/** A person who may log in to the dashboard / REST API. */
export const AdminUserSchema = defineEntity({
  name: 'AdminUser',
  tableName: 'admin_user',
  properties: {
    id: p.integer().primary().autoincrement(),
    username: p.string().length(64).unique('admin_user_username_unique'),
    passwordHash: p.string().length(255),
    role: p.string().length(16).$type<AdminRole>(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  },
});

export type AdminUser = InferEntity<typeof AdminUserSchema>;
