import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export type ApiRole = 'viewer' | 'operator' | 'admin';

/**
 * A key for the REST API. Only a salted hash of the secret is stored; `prefix` (the first
 * characters of the key, not secret) finds the row without scanning every hash.
 */
export const ApiKeySchema = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(64).unique(),
    prefix: p.string().length(16).index(),
    keyHash: p.string().length(255),
    role: p.string().length(16).$type<ApiRole>(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    lastUsedAt: p.datetime(3).nullable(),
    revokedAt: p.datetime(3).nullable(),
  },
});

export type ApiKey = InferEntity<typeof ApiKeySchema>;
