/**
 * The adminUsers domain service (dashboard logins): scrypt hashes with a salt per user, verify
 * (wrong password / unknown user → null), roles, validation by field, audit without secrets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AdminUserSchema, AuditLogSchema } from '../src/persistence/entities/index.js';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('adminUsers service on $name', (db) => {
  it('stores only salted scrypt hashes and verifies passwords; a wrong password or unknown user gives null', async () => {
    const h = await startRules(db);
    const users = h.server.csms.services.get('adminUsers');
    expect(await users.count()).toBe(0);
    const ana = await users.create({ username: 'ana', password: 'correct horse battery', role: 'admin' }, 'system:setup');
    expect(ana).toEqual({ id: expect.any(Number), username: 'ana', role: 'admin', createdAt: expect.any(String) });
    await users.create({ username: 'budi', password: 'correct horse battery', role: 'viewer' }, 'dashboard:ana');

    const rows = await h.em().find(AdminUserSchema, {}, { orderBy: { username: 'asc' } });
    expect(rows.map((r) => r.passwordHash)).toEqual([expect.stringMatching(/^scrypt\$/), expect.stringMatching(/^scrypt\$/)]);
    // Same password, different salt: different hashes; the password itself is nowhere.
    expect(rows[0]!.passwordHash).not.toBe(rows[1]!.passwordHash);
    const stored = JSON.stringify(rows) + JSON.stringify(await h.em().find(AuditLogSchema, {}));
    expect(stored).not.toContain('correct horse battery');

    expect(await users.verify('ana', 'correct horse battery')).toMatchObject({ username: 'ana', role: 'admin' });
    expect(await users.verify('ANA', 'correct horse battery')).toMatchObject({ username: 'ana' });
    expect(await users.verify('ana', 'correct horse batterY')).toBeNull();
    expect(await users.verify('ana', '')).toBeNull();
    expect(await users.verify('nobody', 'correct horse battery')).toBeNull();
    expect(await users.verify('bad name!', 'correct horse battery')).toBeNull();
    expect(await users.count()).toBe(2);
    expect((await users.list()).map((u) => [u.username, u.role])).toEqual([
      ['ana', 'admin'],
      ['budi', 'viewer'],
    ]);
    expect(JSON.stringify(await users.list())).not.toContain('scrypt');
  });

  it('changes roles and passwords, removes users, keeps one admin, audits each change', async () => {
    const h = await startRules(db);
    const users = h.server.csms.services.get('adminUsers');
    await users.create({ username: 'ana', password: 'first password', role: 'admin' }, 'system:setup');
    await users.create({ username: 'budi', password: 'budi password', role: 'viewer' }, 'dashboard:ana');

    expect(await users.setRole('Budi', 'operator', 'dashboard:ana')).toMatchObject({ username: 'budi', role: 'operator' });
    await users.setPassword('ana', 'second password', 'dashboard:ana');
    expect(await users.verify('ana', 'first password')).toBeNull();
    expect(await users.verify('ana', 'second password')).toMatchObject({ role: 'admin' });

    await expect(users.setRole('ana', 'viewer', 'dashboard:ana')).rejects.toMatchObject({ code: CsmsErrorCode.CONFLICT });
    await expect(users.remove('ana', 'dashboard:ana')).rejects.toMatchObject({ code: CsmsErrorCode.CONFLICT });
    await expect(users.setRole('nobody', 'admin', 'dashboard:ana')).rejects.toMatchObject({ code: CsmsErrorCode.NOT_FOUND });
    await users.setRole('budi', 'admin', 'dashboard:ana');
    await users.remove('ana', 'dashboard:budi');
    expect(await users.verify('ana', 'second password')).toBeNull();
    expect(await users.count()).toBe(1);

    const audit = await h.em().find(AuditLogSchema, {}, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.actor, a.request])).toEqual([
      ['CreateAdminUser', 'system:setup', { username: 'ana', role: 'admin' }],
      ['CreateAdminUser', 'dashboard:ana', { username: 'budi', role: 'viewer' }],
      ['SetAdminUserRole', 'dashboard:ana', { username: 'budi', role: 'operator' }],
      ['SetAdminUserPassword', 'dashboard:ana', { username: 'ana' }],
      ['SetAdminUserRole', 'dashboard:ana', { username: 'budi', role: 'admin' }],
      ['DeleteAdminUser', 'dashboard:budi', { username: 'ana' }],
    ]);
    for (const secret of ['first password', 'second password', 'budi password', 'scrypt$']) expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('names every bad field: username pattern, password length, role; duplicates conflict', async () => {
    const h = await startRules(db);
    const users = h.server.csms.services.get('adminUsers');
    await expect(users.create({ username: 'a', password: 'short', role: 'root' as never }, 'test')).rejects.toMatchObject({
      code: CsmsErrorCode.INPUT_INVALID,
      details: {
        fields: {
          username: expect.stringContaining('3–64'),
          password: 'must be at least 10 characters',
          role: 'must be one of viewer, operator, admin',
        },
      },
    });
    await expect(users.create({ username: 'with space', password: 'long enough pw', role: 'viewer' }, 'test')).rejects.toMatchObject({
      details: { fields: { username: expect.any(String) } },
    });
    await users.create({ username: 'sari', password: 'long enough pw', role: 'viewer' }, 'test');
    await expect(users.create({ username: 'SARI', password: 'long enough pw', role: 'viewer' }, 'test')).rejects.toMatchObject({
      code: CsmsErrorCode.CONFLICT,
      details: { fields: { username: 'already exists' } },
    });
    await expect(users.setPassword('sari', '123456789', 'test')).rejects.toMatchObject({ details: { fields: { password: 'must be at least 10 characters' } } });
    await expect(users.setRole('sari', 'superuser' as never, 'test')).rejects.toMatchObject({ details: { fields: { role: expect.any(String) } } });
    expect(await users.count()).toBe(1);
    expect(await users.verify('sari', 'long enough pw')).toMatchObject({ role: 'viewer' });
  });
});
