import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { defineEntity, p, type EntityManager, type InferEntity } from '@mikro-orm/core';
import type { Locale } from '../i18n.js';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export interface DashboardSession {
  /** The cookie's value (never stored: the table holds its hash). */
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  /** Synchronizer token: every state-changing request must carry it. */
  readonly csrf: string;
  readonly locale: Locale | null;
}

/**
 * A signed-in dashboard session (table `dashboard_session`, the plugin's own). The primary key is
 * the SHA-256 of the cookie's random id, so whoever reads the database (a backup, a replica) holds
 * no cookie that signs in.
 */
export const DashboardSessionSchema = defineEntity({
  name: 'DashboardSession',
  tableName: 'dashboard_session',
  properties: {
    idHash: p.string().primary().length(64),
    username: p.string().length(128),
    role: p.string().length(16),
    csrf: p.string().length(64),
    locale: p.string().length(8).nullable(),
    createdAt: p.datetime(3),
    /** Written again at most every `touchMs`, not on every request. */
    lastSeenAt: p.datetime(3),
  },
});

export type DashboardSessionRow = InferEntity<typeof DashboardSessionSchema>;

/**
 * Server-side sessions, stored in the database: the cookie holds only a random id, so logging out
 * (or an admin removing a user) ends the session for good, and a restart of the server keeps
 * everyone signed in (a wall display stays on). Every request reads its session row, so a logout or
 * a role change applies at once, also in another server process on the same database.
 *
 * A session ends after `idleMs` without a request. The stored last-seen time is written again only
 * once it is `touchMs` old (a tenth of `idleMs`, at most a minute), so a session may end up to that
 * much earlier than `idleMs` after its last request.
 */
export class SessionStore {
  readonly #em: () => EntityManager;
  readonly #idleMs: number;
  readonly #touchMs: number;
  readonly #now: () => number;

  constructor(options: { em: () => EntityManager; idleMs: number; now?: () => number }) {
    this.#em = options.em;
    this.#idleMs = options.idleMs;
    this.#touchMs = Math.max(1_000, Math.min(60_000, Math.floor(options.idleMs / 10)));
    this.#now = options.now ?? Date.now;
  }

  async create(username: string, role: Role, locale: Locale | null): Promise<DashboardSession> {
    await this.#sweep();
    const at = new Date(this.#now());
    const session: DashboardSession = { id: token(32), username, role, csrf: token(24), locale };
    const em = this.#em();
    em.create(DashboardSessionSchema, { idHash: hashOf(session.id), username, role, csrf: session.csrf, locale, createdAt: at, lastSeenAt: at });
    await em.flush();
    return session;
  }

  /** The live session for a cookie value, touched; undefined when unknown or idle too long. */
  async get(id: string | undefined): Promise<DashboardSession | undefined> {
    if (!id || id.length > 64) return undefined;
    const em = this.#em();
    const idHash = hashOf(id);
    const row = await em.findOne(DashboardSessionSchema, { idHash });
    if (!row) return undefined;
    const now = this.#now();
    const idle = now - row.lastSeenAt.getTime();
    if (idle > this.#idleMs) {
      await em.nativeDelete(DashboardSessionSchema, { idHash });
      return undefined;
    }
    if (idle >= this.#touchMs) await em.nativeUpdate(DashboardSessionSchema, { idHash }, { lastSeenAt: new Date(now) });
    return { id, username: row.username, role: row.role as Role, csrf: row.csrf, locale: (row.locale ?? null) as Locale | null };
  }

  async destroy(id: string): Promise<void> {
    await this.#em().nativeDelete(DashboardSessionSchema, { idHash: hashOf(id) });
  }

  async setLocale(id: string, locale: Locale): Promise<void> {
    await this.#em().nativeUpdate(DashboardSessionSchema, { idHash: hashOf(id) }, { locale });
  }

  /** Ends every session of a user (removed), or changes their role (changed). Usernames match in any letter case. */
  async forUser(username: string, change: { remove: true } | { role: Role }): Promise<void> {
    const em = this.#em();
    // The table holds the signed-in sessions: a few rows, compared here in any letter case.
    const rows = await em.find(DashboardSessionSchema, {}, { fields: ['idHash', 'username'] });
    const ids = rows.filter((row) => row.username.toLowerCase() === username.toLowerCase()).map((row) => row.idHash);
    if (ids.length === 0) return;
    if ('remove' in change) await em.nativeDelete(DashboardSessionSchema, { idHash: { $in: ids } });
    else await em.nativeUpdate(DashboardSessionSchema, { idHash: { $in: ids } }, { role: change.role });
  }

  /** Deletes the sessions idle too long (at every sign-in). */
  async #sweep(): Promise<void> {
    await this.#em().nativeDelete(DashboardSessionSchema, { lastSeenAt: { $lt: new Date(this.#now() - this.#idleMs) } });
  }
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
