import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { ApiKeySchema, AuditLogSchema, type ApiKey, type ApiRole } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

/**
 * REST API keys. A generated key reads `cit_<prefix>_<secret>`: the prefix (12 hex characters, not
 * secret, shown in listings) finds the row through an index; the secret is 32 random bytes.
 *
 * Hashing: the database keeps `sha256$<digest>` of the whole key, compared in constant time. A
 * slow password hash (scrypt, as for charge point keys) defends guessable secrets; a generated key
 * has 256 bits of entropy, which no offline search gets through, and SHA-256 keeps every API
 * request free of a ~50 ms / 16 MiB scrypt run on a two-core box. The one key an operator chooses,
 * the bootstrap key (CHARGE_IT_API_ADMIN_KEY), must be at least 24 characters and lives in plain
 * text in the environment anyway, so a slower hash of it in the database would protect nothing more.
 */

export const API_ROLES: readonly ApiRole[] = ['viewer', 'operator', 'admin'];

/** Name of the row that holds the bootstrap key from `config.apiAdminKey`. */
export const BOOTSTRAP_KEY_NAME = 'bootstrap-admin';

/** Shortest bootstrap key accepted (the config option's documented minimum). */
export const MIN_BOOTSTRAP_KEY_LENGTH = 24;

const KEY_PATTERN = /^cit_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/;
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** Who made an API request. */
export interface ApiPrincipal {
  keyId: number;
  name: string;
  role: ApiRole;
}

/** True when `have` may do what needs `need` (viewer < operator < admin). */
export function roleAllows(have: ApiRole, need: ApiRole): boolean {
  return API_ROLES.indexOf(have) >= API_ROLES.indexOf(need);
}

/** A new random key in the `cit_<prefix>_<secret>` form. */
export function generateApiKey(): string {
  return `cit_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

/**
 * The lookup prefix of a presented key: the embedded one for a generated key, otherwise (a
 * bootstrap key of the operator's own making) 16 characters derived from its hash.
 */
export function apiKeyPrefix(key: string): string {
  const match = KEY_PATTERN.exec(key);
  if (match) return match[1]!;
  return `cfg${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 13)}`;
}

export function hashApiKey(key: string): string {
  return `sha256$${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

function hashMatches(key: string, stored: string): boolean {
  const expected = Buffer.from(stored, 'utf8');
  const actual = Buffer.from(hashApiKey(key), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface ApiKeyServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  clock: Clock;
  log: Logger;
}

/** Creates, lists, revokes and checks REST API keys; keeps the bootstrap key in step with the config. */
export class ApiKeyService {
  readonly #deps: ApiKeyServiceDeps;
  /** When lastUsedAt was last written per key: a busy key costs one write a minute, not one per request. */
  readonly #lastUsedWritten = new Map<number, number>();

  constructor(deps: ApiKeyServiceDeps) {
    this.#deps = deps;
  }

  /** Makes a key; the returned `key` is the only time the secret exists outside the caller. */
  async create(input: { name: string; role: ApiRole }, actor: string): Promise<{ key: string; apiKey: ApiKey }> {
    const name = input.name.trim();
    if (!NAME_PATTERN.test(name)) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `API key name "${input.name}" is invalid: use 1–64 letters, digits, spaces or . _ : - (starting with a letter or digit)`, {
        details: { fields: { name: 'must be 1–64 letters, digits, spaces or . _ : -' } },
      });
    }
    if (!API_ROLES.includes(input.role)) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `role "${input.role}" is unknown; use ${API_ROLES.join(', ')}`, {
        details: { fields: { role: `must be one of ${API_ROLES.join(', ')}` } },
      });
    }
    const key = generateApiKey();
    const now = this.#deps.clock.now();
    const apiKey = await this.#deps.batcher.run(async (em) => {
      // Names compare case-insensitively on MariaDB; check the same way on SQLite (LIKE) so both refuse alike.
      const similar = await em.find(ApiKeySchema, { name: { $like: name } });
      const clash = similar.find((k) => k.name.toLowerCase() === name.toLowerCase());
      if (clash) {
        throw new CsmsError(
          CsmsErrorCode.CONFLICT,
          `an API key named "${clash.name}" exists${clash.revokedAt ? ' (revoked; names stay reserved for the audit trail)' : ''}; choose another name`,
          { details: { fields: { name: 'already in use' } } },
        );
      }
      const row = em.create(ApiKeySchema, { name, prefix: apiKeyPrefix(key), keyHash: hashApiKey(key), role: input.role, lastUsedAt: null, revokedAt: null });
      em.create(AuditLogSchema, { at: now, actor, action: 'CreateApiKey', chargePoint: null, request: { name, role: input.role }, result: { prefix: row.prefix }, outcome: 'ok' });
      return row;
    });
    this.#deps.log.info({ name, role: input.role, actor }, 'API key created');
    return { key, apiKey };
  }

  async list(): Promise<ApiKey[]> {
    return this.#deps.orm.em.fork().find(ApiKeySchema, {}, { orderBy: { id: 'asc' } });
  }

  /** Revokes a key (idempotent); NOT_FOUND when there is no such key. */
  async revoke(id: number, actor: string): Promise<ApiKey> {
    const now = this.#deps.clock.now();
    const row = await this.#deps.batcher.run(async (em) => {
      const found = await em.findOne(ApiKeySchema, { id });
      if (!found) throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no API key with id ${id}`);
      if (!found.revokedAt) {
        found.revokedAt = now;
        em.create(AuditLogSchema, { at: now, actor, action: 'RevokeApiKey', chargePoint: null, request: { id, name: found.name }, result: null, outcome: 'ok' });
      }
      return found;
    });
    this.#deps.log.info({ name: row.name, actor }, 'API key revoked');
    return row;
  }

  /** The principal of a presented key; null when it is unknown, wrong or revoked. */
  async authenticate(presented: string): Promise<ApiPrincipal | null> {
    if (presented.length === 0 || presented.length > 512) return null;
    const candidates = await this.#deps.orm.em.fork().find(ApiKeySchema, { prefix: apiKeyPrefix(presented), revokedAt: null });
    const row = candidates.find((k) => hashMatches(presented, k.keyHash));
    if (!row) return null;
    this.#noteUse(row.id);
    return { keyId: row.id, name: row.name, role: row.role };
  }

  /** Checks `config.apiAdminKey` without touching the database (a bad key fails the start early). */
  checkBootstrapKey(key: string | undefined): void {
    if (key !== undefined && key.length < MIN_BOOTSTRAP_KEY_LENGTH) {
      throw new CsmsError(
        CsmsErrorCode.CONFIG_INVALID,
        `apiAdminKey (CHARGE_IT_API_ADMIN_KEY) is ${key.length} characters; use at least ${MIN_BOOTSTRAP_KEY_LENGTH} random ones, e.g. the output of \`openssl rand -hex 32\``,
        { details: { option: 'apiAdminKey' } },
      );
    }
  }

  /**
   * Keeps the `bootstrap-admin` row in step with `config.apiAdminKey`: set → stored (hashed) with
   * the admin role and un-revoked; unset → an existing bootstrap row is revoked, so removing the
   * variable really withdraws the key. `createCsms` calls it only once `listen()` has succeeded:
   * a start that fails (e.g. EADDRINUSE because an instance already runs on this database) never
   * changes stored credentials.
   */
  async syncBootstrapKey(key: string | undefined): Promise<void> {
    if (key !== undefined && key.length < MIN_BOOTSTRAP_KEY_LENGTH) {
      throw new CsmsError(
        CsmsErrorCode.CONFIG_INVALID,
        `apiAdminKey (CHARGE_IT_API_ADMIN_KEY) is ${key.length} characters; use at least ${MIN_BOOTSTRAP_KEY_LENGTH} random ones, e.g. the output of \`openssl rand -hex 32\``,
        { details: { option: 'apiAdminKey' } },
      );
    }
    const now = this.#deps.clock.now();
    const changed = await this.#deps.batcher.run(async (em) => {
      const row = await em.findOne(ApiKeySchema, { name: BOOTSTRAP_KEY_NAME });
      if (key === undefined) {
        if (!row || row.revokedAt) return false;
        row.revokedAt = now;
        return true;
      }
      const fields = { prefix: apiKeyPrefix(key), role: 'admin' as const, revokedAt: null };
      if (row) {
        const same = row.prefix === fields.prefix && hashMatches(key, row.keyHash) && row.role === 'admin' && !row.revokedAt;
        if (same) return false;
        em.assign(row, { ...fields, keyHash: hashApiKey(key) });
      } else {
        em.create(ApiKeySchema, { name: BOOTSTRAP_KEY_NAME, ...fields, keyHash: hashApiKey(key), lastUsedAt: null });
      }
      return true;
    });
    if (changed && key === undefined) {
      this.#deps.log.warn({ name: BOOTSTRAP_KEY_NAME, active: false }, 'CHARGE_IT_API_ADMIN_KEY is not set: the bootstrap admin API key stored by an earlier start is revoked');
    } else if (changed) {
      this.#deps.log.info({ name: BOOTSTRAP_KEY_NAME, active: true }, 'bootstrap API key updated from the configuration');
    }
  }

  #noteUse(id: number): void {
    const nowMs = this.#deps.clock.now().getTime();
    const last = this.#lastUsedWritten.get(id);
    if (last !== undefined && nowMs - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.#lastUsedWritten.set(id, nowMs);
    const at = new Date(nowMs);
    this.#deps.batcher
      .run((em) => em.nativeUpdate(ApiKeySchema, { id }, { lastUsedAt: at }))
      .catch((err: unknown) => this.#deps.log.warn({ err, keyId: id }, 'could not record API key use'));
  }
}
