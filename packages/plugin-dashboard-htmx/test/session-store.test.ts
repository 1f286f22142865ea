import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDatabases, type TestDatabase } from '@charge-it/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardSessionSchema, SessionStore } from '../src/auth/session-store.js';
import { ADMIN, startHarness, type Harness } from './support/harness.js';

describe.each(testDatabases())('dashboard sessions in the database on $name', (kind) => {
  let database: TestDatabase;
  let h: Harness;
  let clock = Date.parse('2026-03-01T08:00:00Z');
  let store: SessionStore;
  const em = () => h.t.csms.orm.em.fork();
  const rows = () => em().find(DashboardSessionSchema, {}, { orderBy: { createdAt: 'asc' } });

  beforeAll(async () => {
    database = await kind.create();
    h = await startHarness({ csms: { databaseUrl: database.databaseUrl } });
    store = new SessionStore({ em, idleMs: 30 * 60_000, now: () => clock });
  });
  afterAll(async () => {
    await h?.close();
    await database?.dispose();
  });

  it('stores the hash of the cookie value, never the value, and reads the session back', async () => {
    const session = await store.create('Alice', 'operator', 'id');
    const [row] = (await rows()).filter((r) => r.username === 'Alice');
    expect(row!.idHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.idHash).not.toContain(session.id);
    expect(await store.get(session.id)).toEqual(session);
    expect(await store.get(`${session.id}x`)).toBeUndefined();
    expect(await store.get('x'.repeat(10_000))).toBeUndefined();
    expect(await store.get(undefined)).toBeUndefined();
  });

  it('ends a session idle too long; a request writes the last-seen time at most once a minute', async () => {
    const session = await store.create('bob', 'viewer', null);
    const lastSeen = async () => (await rows()).find((r) => r.username === 'bob')!.lastSeenAt.getTime();
    const created = await lastSeen();
    clock += 30_000; // under a minute (a tenth of 30 minutes, at most a minute): not written
    expect(await store.get(session.id)).toBeDefined();
    expect(await lastSeen()).toBe(created);
    clock += 40_000;
    expect(await store.get(session.id)).toBeDefined();
    expect(await lastSeen()).toBe(clock);
    clock += 29 * 60_000; // within 30 minutes of the last write: alive
    expect(await store.get(session.id)).toBeDefined();
    clock += 31 * 60_000;
    expect(await store.get(session.id)).toBeUndefined();
    expect((await rows()).some((r) => r.username === 'bob')).toBe(false);
  });

  it('changes the role of, or ends, every session of a user in any letter case; a sign-in sweeps idle sessions', async () => {
    const a = await store.create('Carol', 'viewer', null);
    const b = await store.create('carol', 'viewer', null);
    const other = await store.create('dave', 'viewer', null);
    await store.forUser('CAROL', { role: 'admin' });
    expect((await store.get(a.id))!.role).toBe('admin');
    expect((await store.get(b.id))!.role).toBe('admin');
    expect((await store.get(other.id))!.role).toBe('viewer');
    await store.setLocale(a.id, 'en');
    expect((await store.get(a.id))!.locale).toBe('en');
    await store.forUser('carol', { remove: true });
    expect(await store.get(a.id)).toBeUndefined();
    expect(await store.get(b.id)).toBeUndefined();
    expect(await store.get(other.id)).toBeDefined();
    clock += 31 * 60_000;
    await store.create('erin', 'viewer', null);
    expect((await rows()).map((r) => r.username)).not.toContain('dave');
  });
});

describe('dashboard sessions across a restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charge-it-dashboard-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a signed-in user stays signed in after the server restarts; after logout the cookie no longer works', async () => {
    const databaseUrl = `sqlite:${join(dir, 'csms.db')}`;
    const first = await startHarness({ csms: { databaseUrl } });
    const client = await first.login();
    expect((await client.get('/dashboard/settings')).statusCode).toBe(200);
    await first.close();

    const second = await startHarness({ csms: { databaseUrl } });
    try {
      const again = await second.inject({ method: 'GET', url: '/dashboard/settings', headers: { cookie: client.cookie } });
      expect(again.statusCode).toBe(200);
      expect(again.body).toContain(ADMIN.username);
      const out = await second.inject({
        method: 'POST',
        url: '/dashboard/logout',
        headers: { cookie: client.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(client.csrf)}`,
      });
      expect(out.statusCode).toBe(303);
      const after = await second.inject({ method: 'GET', url: '/dashboard/settings', headers: { cookie: client.cookie } });
      expect(after.statusCode).toBe(303);
    } finally {
      await second.close();
    }
  });
});
