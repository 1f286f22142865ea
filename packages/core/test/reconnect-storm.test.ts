/**
 * Issue 8 §1, reconnect storms — behaviour only (the speed is measured by bench/reconnect-storm.mjs):
 * many chargers connecting at once, unknown ones auto-registering next to registered ones with and
 * without Basic auth, each registered exactly once, every Boot and StatusNotification stored
 * (handshake lookups and registrations coalesced, Boot and Status written as multi-row upserts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthKey, hashAuthKey } from '../src/ocpp/credentials.js';
import { ChargePointSchema, ConnectorSchema, DeviceEventSchema, StatusEventSchema } from '../src/persistence/entities/index.js';
import { createTestCsms, type FakeChargePoint } from '../src/testing/index.js';
import { upgradeRequest } from './gateway-fixtures.js';
import { closeRulesHarnesses, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

const KEY = generateAuthKey();
let keyHash = '';
beforeAll(async () => {
  keyHash = await hashAuthKey(KEY);
});

/** Connects, boots and reports connector 1 Available; resolves with the charger. */
async function bootAndReport(h: RulesHarness, id: string, password?: string): Promise<FakeChargePoint> {
  const cp = await h.connect(id, password ? { password } : {});
  expect(await cp.boot({ chargePointModel: `Model-${id}` })).toMatchObject({ status: 'Accepted' });
  expect(await cp.status(1, 'Available')).toEqual({});
  return cp;
}

describe.each(testDatabases())('reconnect storm on $name', (db) => {
  it('unknown chargers connecting all at once are each registered once, booted, and their status stored', { timeout: 180_000 }, async () => {
    const h = await startRules(db, { autoRegister: true });
    const ids = Array.from({ length: 200 }, (_, i) => `STORM-${String(i).padStart(3, '0')}`);
    await Promise.all(ids.map((id) => bootAndReport(h, id)));

    const em = h.em();
    const stored = await em.find(ChargePointSchema, {}, { orderBy: { id: 'asc' } });
    expect(stored.map((c) => c.id)).toEqual(ids);
    for (const cp of stored) {
      expect(cp).toMatchObject({ registrationStatus: 'Accepted', vendor: 'Charge-IT', model: `Model-${cp.id}`, securityProfile: 0 });
      expect(cp.lastBootAt).toBeInstanceOf(Date);
    }
    const connectors = await em.find(ConnectorSchema, {});
    expect(connectors).toHaveLength(ids.length);
    expect(new Set(connectors.map((c) => `${c.chargePoint}/${c.connectorId}/${c.status}`))).toEqual(new Set(ids.map((id) => `${id}/1/Available`)));
    expect(await em.count(StatusEventSchema, {})).toBe(ids.length);
    expect(await em.count(DeviceEventSchema, { kind: 'BootNotification' })).toBe(ids.length);
    expect(h.server.csms.sessions.size).toBe(ids.length);
  });

  it('registered chargers (profile 0 and profile 1) and unknown ones storm together; a case variant of a registered id is refused', { timeout: 180_000 }, async () => {
    const h = await startRules(db, { autoRegister: true });
    const plain = Array.from({ length: 60 }, (_, i) => `REG-${i}`);
    const secured = Array.from({ length: 30 }, (_, i) => `SEC-${i}`);
    const unknown = Array.from({ length: 60 }, (_, i) => `NEW-${i}`);
    const em = h.em();
    for (const id of plain) em.create(ChargePointSchema, { id, securityProfile: 0 });
    for (const id of secured) em.create(ChargePointSchema, { id, securityProfile: 1, authKeyHash: keyHash });
    await em.flush();

    const [refusedVariant, wrongKey] = await Promise.all([
      upgradeRequest(h.server.port, '/ocpp/reg-0'),
      upgradeRequest(h.server.port, '/ocpp/SEC-0', { authorization: `Basic ${Buffer.from('SEC-0:wrong').toString('base64')}` }).catch(() => ({ status: -1 })),
      ...plain.map((id) => bootAndReport(h, id)),
      ...secured.map((id) => bootAndReport(h, id, KEY)),
      ...unknown.map((id) => bootAndReport(h, id)),
    ]);
    expect(refusedVariant!.status).not.toBe(101);
    expect(wrongKey!.status).toBe(401);

    const rows = await h.em().find(ChargePointSchema, {});
    expect(rows.map((c) => c.id).sort()).toEqual([...plain, ...secured, ...unknown].sort());
    // A Boot (an upsert) never touches the security profile or the key.
    for (const row of rows.filter((c) => c.id.startsWith('SEC-'))) expect(row).toMatchObject({ securityProfile: 1, authKeyHash: keyHash, registrationStatus: 'Accepted' });
    expect(await h.em().count(StatusEventSchema, {})).toBe(150);
    expect(await h.em().count(ConnectorSchema, { status: 'Available' })).toBe(150);
  });

  it('the latest StatusNotification of a connector wins when several land in one batch; every one is kept as an event', { timeout: 60_000 }, async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    const cp = await h.connect('CP-1');
    await cp.boot();
    // Sent back to back without waiting: they reach the write batcher together.
    const sent = ['Preparing', 'Charging', 'SuspendedEV', 'Finishing', 'Available'] as const;
    await Promise.all(sent.map((status, i) => cp.status(1, status, 'NoError', new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString())));
    const connector = await h.em().findOneOrFail(ConnectorSchema, { chargePoint: 'CP-1', connectorId: 1 });
    expect(connector).toMatchObject({ status: 'Available', statusTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 4)) });
    const events = await h.em().find(StatusEventSchema, { chargePoint: 'CP-1' }, { orderBy: { id: 'asc' } });
    expect(events.map((e) => e.status)).toEqual([...sent]);
    // A second Boot updates the stored boot fields in place.
    await cp.boot({ firmwareVersion: '2.0' });
    expect(await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-1' })).toMatchObject({ firmwareVersion: '2.0', registrationStatus: 'Accepted' });
    expect(await h.em().count(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'BootNotification' })).toBe(2);
  });
});

describe('the listen queue', () => {
  /** The backlog of the listening socket on `port`, as the kernel reports it (`ss`: Send-Q of a LISTEN socket). */
  function backlogOf(port: number): number {
    const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim();
    const columns = out.split(/\s+/);
    if (columns[0] !== 'LISTEN') throw new Error(`no listening socket on port ${port}: "${out}"`);
    return Number(columns[2]);
  }

  it('holds a storm\'s burst: the server listens with listenBacklog (default 4096, capped by net.core.somaxconn), not Node\'s 511', async () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const byDefault = await createTestCsms();
    try {
      expect(backlogOf(byDefault.port)).toBe(Math.min(4096, somaxconn));
    } finally {
      await byDefault.close();
    }
    const configured = await createTestCsms({ listenBacklog: 100 });
    try {
      expect(backlogOf(configured.port)).toBe(100);
    } finally {
      await configured.close();
    }
  });
});
