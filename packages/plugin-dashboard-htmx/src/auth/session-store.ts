import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Locale } from '../i18n.js';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export interface DashboardSession {
  readonly id: string;
  readonly username: string;
  role: Role;
  /** Synchronizer token: every state-changing request must carry it. */
  readonly csrf: string;
  locale: Locale | null;
  readonly createdAt: number;
  lastSeenAt: number;
}

/**
 * Server-side sessions kept in memory: the cookie holds only a random id, so logging out (or an
 * admin removing a user) ends the session for good. A restart logs everyone out.
 */
export class SessionStore {
  readonly #sessions = new Map<string, DashboardSession>();
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(options: { idleMs: number; now?: () => number }) {
    this.#idleMs = options.idleMs;
    this.#now = options.now ?? Date.now;
  }

  create(username: string, role: Role, locale: Locale | null): DashboardSession {
    this.#sweep();
    const now = this.#now();
    const session: DashboardSession = { id: token(32), username, role, csrf: token(24), locale, createdAt: now, lastSeenAt: now };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session for a cookie value, touched; undefined when unknown or idle too long. */
  get(id: string | undefined): DashboardSession | undefined {
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.#now();
    if (now - session.lastSeenAt > this.#idleMs) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string): void {
    this.#sessions.delete(id);
  }

  /** Ends every session of a user (removed), or updates their role (changed). */
  forUser(username: string, change: { remove: true } | { role: Role }): void {
    for (const [id, s] of this.#sessions) {
      if (s.username.toLowerCase() !== username.toLowerCase()) continue;
      if ('remove' in change) this.#sessions.delete(id);
      else s.role = change.role;
    }
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (now - s.lastSeenAt > this.#idleMs) this.#sessions.delete(id);
  }
}

export function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
