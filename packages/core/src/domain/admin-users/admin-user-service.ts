import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { hashAuthKey, isAuthKeyHash, verifyAuthKey } from '../../ocpp/credentials.js';
import { AdminUserSchema, AuditLogSchema, type AdminRole, type AdminUser } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

export type { AdminRole } from '../../persistence/entities/index.js';

export const ADMIN_ROLES: readonly AdminRole[] = ['viewer', 'operator', 'admin'];
/** 3–64 characters: letters, digits, `.`, `_`, `-`, `@`; starting with a letter or digit. */
export const ADMIN_USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/;
export const ADMIN_PASSWORD_MIN_LENGTH = 10;
/** scrypt's cost is per call: a longer password only costs hashing time, not security. */
const ADMIN_PASSWORD_MAX_LENGTH = 1024;

/** A dashboard user as plain data: the password hash never leaves the service. */
export interface AdminUserView {
  id: number;
  username: string;
  role: AdminRole;
  createdAt: string | null;
}

export interface AdminUserServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  clock: Clock;
  log: Logger;
}

function viewOf(u: AdminUser): AdminUserView {
  return { id: u.id, username: u.username, role: u.role, createdAt: u.createdAt ? new Date(u.createdAt).toISOString() : null };
}

function invalid(problems: Record<string, string>): CsmsError {
  const text = Object.entries(problems)
    .map(([f, p]) => `${f} ${p}`)
    .join('; ');
  return new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid admin user: ${text}`, { details: { fields: problems } });
}

function checkUsername(username: unknown, problems: Record<string, string>): void {
  if (typeof username !== 'string' || username === '') problems.username = 'is required';
  else if (!ADMIN_USERNAME_PATTERN.test(username)) problems.username = 'must be 3–64 letters, digits, ".", "_", "-" or "@", starting with a letter or digit';
}

function checkPassword(password: unknown, problems: Record<string, string>): void {
  if (typeof password !== 'string' || password === '') problems.password = 'is required';
  else if ([...password].length < ADMIN_PASSWORD_MIN_LENGTH) problems.password = `must be at least ${ADMIN_PASSWORD_MIN_LENGTH} characters`;
  else if (password.length > ADMIN_PASSWORD_MAX_LENGTH) problems.password = `must be at most ${ADMIN_PASSWORD_MAX_LENGTH} characters`;
}

function checkRole(role: unknown, problems: Record<string, string>): void {
  if (!ADMIN_ROLES.includes(role as AdminRole)) problems.role = `must be one of ${ADMIN_ROLES.join(', ')}`;
}

/**
 * People who log in to the dashboard. Passwords are stored only as salted scrypt hashes
 * (`scrypt$N$r$p$salt$hash`, a fresh random salt per user and password, the same scheme as charge
 * point keys) and compared in constant time; an unknown username still costs one scrypt run, so
 * the answer time does not tell which usernames exist. Usernames are compared case-insensitively
 * and stored as given. Every change is audited (the password never appears in the audit log).
 * Roles: viewer (read), operator (also commands), admin (also settings, idTags, users).
 */
export class AdminUserService {
  readonly #deps: AdminUserServiceDeps;
  #dummyHash: Promise<string> | undefined;

  constructor(deps: AdminUserServiceDeps) {
    this.#deps = deps;
  }

  async list(): Promise<AdminUserView[]> {
    const rows = await this.#deps.orm.em.fork().find(AdminUserSchema, {}, { orderBy: { username: 'asc' } });
    return rows.map(viewOf).sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase()));
  }

  async count(): Promise<number> {
    return this.#deps.orm.em.fork().count(AdminUserSchema, {});
  }

  async get(username: string): Promise<AdminUserView | null> {
    const user = await this.#find(username);
    return user ? viewOf(user) : null;
  }

  /** Creates a user; INPUT_INVALID names each bad field, CONFLICT when the username exists (any case). */
  async create(input: { username: string; password: string; role: AdminRole }, actor: string): Promise<AdminUserView> {
    const problems: Record<string, string> = {};
    checkUsername(input?.username, problems);
    checkPassword(input?.password, problems);
    checkRole(input?.role, problems);
    if (Object.keys(problems).length > 0) throw invalid(problems);
    const passwordHash = await hashAuthKey(input.password);
    const at = this.#deps.clock.now();
    await this.#deps.batcher.run(async (em) => {
      if (await this.#find(input.username, em)) {
        throw new CsmsError(CsmsErrorCode.CONFLICT, `admin user "${input.username}" exists already`, { details: { fields: { username: 'already exists' } } });
      }
      em.create(AdminUserSchema, { username: input.username, passwordHash, role: input.role });
      em.create(AuditLogSchema, { at, actor, action: 'CreateAdminUser', chargePoint: null, request: { username: input.username, role: input.role }, result: null, outcome: 'ok' });
    });
    this.#deps.log.info({ username: input.username, role: input.role, actor }, 'admin user created');
    return (await this.get(input.username))!;
  }

  /** The user when the password is right; null for a wrong password or an unknown user (same cost). */
  async verify(username: string, password: string): Promise<AdminUserView | null> {
    if (typeof username !== 'string' || typeof password !== 'string' || password.length > ADMIN_PASSWORD_MAX_LENGTH) return null;
    const user = ADMIN_USERNAME_PATTERN.test(username) ? await this.#find(username) : null;
    const candidate = Buffer.from(password, 'utf8');
    if (!user || !isAuthKeyHash(user.passwordHash)) {
      // Same work as a real check, so the answer time does not reveal whether the user exists.
      await verifyAuthKey(candidate, await this.#dummy());
      if (user) this.#deps.log.warn({ username: user.username }, 'admin user has a malformed password hash; set a new password');
      return null;
    }
    return (await verifyAuthKey(candidate, user.passwordHash)) ? viewOf(user) : null;
  }

  async setRole(username: string, role: AdminRole, actor: string): Promise<AdminUserView> {
    const problems: Record<string, string> = {};
    checkRole(role, problems);
    if (Object.keys(problems).length > 0) throw invalid(problems);
    const at = this.#deps.clock.now();
    const name = await this.#deps.batcher.run(async (em) => {
      const user = await this.#require(username, em);
      const previous = user.role;
      if (previous === 'admin' && role !== 'admin') await this.#keepOneAdmin(em, user.id);
      user.role = role;
      em.create(AuditLogSchema, { at, actor, action: 'SetAdminUserRole', chargePoint: null, request: { username: user.username, role }, result: { previous }, outcome: 'ok' });
      return user.username;
    });
    return (await this.get(name))!;
  }

  async setPassword(username: string, password: string, actor: string): Promise<void> {
    const problems: Record<string, string> = {};
    checkPassword(password, problems);
    if (Object.keys(problems).length > 0) throw invalid(problems);
    const passwordHash = await hashAuthKey(password);
    const at = this.#deps.clock.now();
    await this.#deps.batcher.run(async (em) => {
      const user = await this.#require(username, em);
      user.passwordHash = passwordHash;
      em.create(AuditLogSchema, { at, actor, action: 'SetAdminUserPassword', chargePoint: null, request: { username: user.username }, result: null, outcome: 'ok' });
    });
  }

  /** Deletes a user. The last admin cannot be removed (CONFLICT): nobody could manage users then. */
  async remove(username: string, actor: string): Promise<void> {
    const at = this.#deps.clock.now();
    await this.#deps.batcher.run(async (em) => {
      const user = await this.#require(username, em);
      if (user.role === 'admin') await this.#keepOneAdmin(em, user.id);
      em.remove(user);
      em.create(AuditLogSchema, { at, actor, action: 'DeleteAdminUser', chargePoint: null, request: { username: user.username }, result: null, outcome: 'ok' });
    });
  }

  async #keepOneAdmin(em: EntityManager, exceptId: number): Promise<void> {
    const others = await em.count(AdminUserSchema, { role: 'admin', id: { $ne: exceptId } });
    if (others === 0) throw new CsmsError(CsmsErrorCode.CONFLICT, 'this is the last admin user; make another user admin first', { details: { fields: { role: 'last admin' } } });
  }

  async #find(username: string, em: EntityManager = this.#deps.orm.em.fork()): Promise<AdminUser | null> {
    if (typeof username !== 'string' || username === '') return null;
    const exact = await em.findOne(AdminUserSchema, { username });
    if (exact && exact.username.toLowerCase() === username.toLowerCase()) return exact;
    const similar = await em.find(AdminUserSchema, { username: { $like: username.replace(/[%_\\]/g, '_') } });
    return similar.find((u) => u.username.toLowerCase() === username.toLowerCase()) ?? null;
  }

  async #require(username: string, em: EntityManager): Promise<AdminUser> {
    const user = await this.#find(username, em);
    if (!user) throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no admin user "${username}"`);
    return user;
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= hashAuthKey('dummy password for timing');
    return this.#dummyHash;
  }
}
