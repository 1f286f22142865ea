import { createRPCError } from 'ocpp-rpc';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalListService } from '../src/domain/local-list/local-list-service.js';
import { IdTagSchema, LocalAuthListSchema } from '../src/persistence/entities/index.js';
import type { FakeChargePoint } from '../src/testing/index.js';
import { closeRulesHarnesses, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

interface AuthorizationData {
  idTag: string;
  idTagInfo?: { status: string; expiryDate?: string; parentIdTag?: string };
}

interface SendLocalListCall {
  listVersion: number;
  updateType: 'Full' | 'Differential';
  localAuthorizationList?: AuthorizationData[];
}

/**
 * A charge point's local list, as OCPP 1.6 §5.15 describes it: Full replaces the list,
 * Differential applies changes and needs a version above the current one, GetLocalListVersion
 * reports the version. Every call is recorded; answers can be overridden per test.
 */
class ChargerLocalList {
  version = 0;
  entries = new Map<string, AuthorizationData['idTagInfo']>();
  calls: Array<{ action: string; params: unknown }> = [];
  /** Answer to GetLocalListVersion: 'list' (the real version), a fixed number, or 'NotSupported' (CALLERROR). */
  versionAnswer: 'list' | number | 'NotSupported' = 'list';
  /** Forced SendLocalList answers, used first (then normal behaviour). */
  forced: Array<'Failed' | 'NotSupported' | 'VersionMismatch'> = [];
  config: Record<string, string> = {};

  constructor(cp: FakeChargePoint) {
    cp.handle('GetLocalListVersion', (params) => {
      this.calls.push({ action: 'GetLocalListVersion', params });
      if (this.versionAnswer === 'NotSupported') throw createRPCError('NotSupported', 'no local list here');
      return { listVersion: this.versionAnswer === 'list' ? this.version : this.versionAnswer };
    });
    cp.handle('GetConfiguration', (params: { key?: string[] }) => {
      this.calls.push({ action: 'GetConfiguration', params });
      const keys = params.key ?? Object.keys(this.config);
      return {
        configurationKey: keys.filter((k) => k in this.config).map((key) => ({ key, readonly: true, value: this.config[key] })),
        unknownKey: keys.filter((k) => !(k in this.config)),
      };
    });
    cp.handle('SendLocalList', (params: SendLocalListCall) => {
      this.calls.push({ action: 'SendLocalList', params });
      const forced = this.forced.shift();
      if (forced) return { status: forced };
      if (params.updateType === 'Full') {
        this.entries = new Map((params.localAuthorizationList ?? []).map((e) => [e.idTag, e.idTagInfo]));
      } else {
        if (params.listVersion <= this.version) return { status: 'VersionMismatch' };
        for (const e of params.localAuthorizationList ?? []) {
          if (e.idTagInfo) this.entries.set(e.idTag, e.idTagInfo);
          else this.entries.delete(e.idTag);
        }
      }
      this.version = params.listVersion;
      return { status: 'Accepted' };
    });
    cp.handle('ClearCache', (params) => {
      this.calls.push({ action: 'ClearCache', params });
      return { status: 'Accepted' };
    });
  }

  sent(): SendLocalListCall[] {
    return this.calls.filter((c) => c.action === 'SendLocalList').map((c) => c.params as SendLocalListCall);
  }

  actions(): string[] {
    return this.calls.map((c) => c.action);
  }

  list(): Record<string, unknown> {
    return Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

const expiry = new Date('2030-01-01T00:00:00.000Z');
const TAGS = {
  'TAG-1': { status: 'Accepted' as const, expiryDate: expiry },
  'TAG-2': { status: 'Accepted' as const, parentIdTag: 'GROUP-A' },
  'TAG-3': 'Blocked' as const,
};

async function setUp(db: Parameters<typeof startRules>[0], autoSync = false): Promise<{ h: RulesHarness; cp: FakeChargePoint; charger: ChargerLocalList; localList: LocalListService }> {
  const h = await startRules(db, { chargePoints: ['CP-1'], idTags: TAGS });
  const localList = h.server.csms.services.get('localList');
  localList.configure({ autoSync });
  const cp = await h.connect('CP-1');
  const charger = new ChargerLocalList(cp);
  await cp.boot();
  return { h, cp, charger, localList };
}

/** Polls `check` until it returns true (bounded: 200 × 25 ms). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

describe.each(testDatabases())('local authorisation list on $name', (db) => {
  it('first sync: GetLocalListVersion, then Full with every tag at version 1; a second sync sends nothing', async () => {
    const { h, charger, localList } = await setUp(db);
    const result = await localList.sync('CP-1', { actor: 'api:ops' });
    expect(result).toMatchObject({ outcome: 'Accepted', updateType: 'Full', chargePointVersion: 0, version: 1, calls: 1, entriesSent: 3, entries: 3 });
    expect(charger.actions()).toEqual(['GetLocalListVersion', 'GetConfiguration', 'SendLocalList']);
    expect(charger.sent()).toEqual([
      {
        listVersion: 1,
        updateType: 'Full',
        localAuthorizationList: [
          { idTag: 'TAG-1', idTagInfo: { status: 'Accepted', expiryDate: expiry.toISOString() } },
          { idTag: 'TAG-2', idTagInfo: { status: 'Accepted', parentIdTag: 'GROUP-A' } },
          { idTag: 'TAG-3', idTagInfo: { status: 'Blocked' } },
        ],
      },
    ]);
    const row = await h.em().findOneOrFail(LocalAuthListSchema, { chargePoint: 'CP-1' });
    expect(row).toMatchObject({ version: 1, status: 'Accepted' });
    expect(row.syncedAt).toBeInstanceOf(Date);
    expect(row.entries).toEqual(charger.list());

    charger.calls = [];
    const again = await localList.sync('CP-1');
    expect(again).toMatchObject({ outcome: 'UpToDate', updateType: null, version: 1, calls: 0 });
    expect(charger.actions()).toEqual(['GetLocalListVersion']);
    expect(await localList.state('CP-1')).toMatchObject({ chargePointId: 'CP-1', version: 1, status: 'Accepted' });
  });

  it('differential after tag changes: version 2 carries only the added, changed and removed tags', async () => {
    const { h, charger, localList } = await setUp(db);
    await localList.sync('CP-1');
    const em = h.em();
    em.create(IdTagSchema, { idTag: 'TAG-4', status: 'Accepted', parentIdTag: null, expiryDate: null });
    (await em.findOneOrFail(IdTagSchema, { idTag: 'TAG-2' })).status = 'Blocked';
    em.remove(await em.findOneOrFail(IdTagSchema, { idTag: 'TAG-3' }));
    await em.flush();
    localList.markDirty();

    charger.calls = [];
    const result = await localList.sync('CP-1');
    expect(result).toMatchObject({ outcome: 'Accepted', updateType: 'Differential', chargePointVersion: 1, version: 2, calls: 1, entriesSent: 3, entries: 3 });
    expect(charger.sent()).toEqual([
      {
        listVersion: 2,
        updateType: 'Differential',
        localAuthorizationList: [
          { idTag: 'TAG-2', idTagInfo: { status: 'Blocked', parentIdTag: 'GROUP-A' } },
          { idTag: 'TAG-3' },
          { idTag: 'TAG-4', idTagInfo: { status: 'Accepted' } },
        ],
      },
    ]);
    expect(charger.list()).toEqual({
      'TAG-1': { status: 'Accepted', expiryDate: expiry.toISOString() },
      'TAG-2': { status: 'Blocked', parentIdTag: 'GROUP-A' },
      'TAG-4': { status: 'Accepted' },
    });
    const row = await h.em().findOneOrFail(LocalAuthListSchema, { chargePoint: 'CP-1' });
    expect(row).toMatchObject({ version: 2, status: 'Accepted' });
    expect(row.entries).toEqual(charger.list());
  });

  it('a charge point whose version differs from ours gets the full list', async () => {
    const { charger, localList } = await setUp(db);
    await localList.sync('CP-1');
    // The charger lost its list (factory reset): version 0, empty.
    charger.version = 0;
    charger.entries.clear();
    charger.calls = [];
    const result = await localList.sync('CP-1');
    expect(result).toMatchObject({ outcome: 'Accepted', updateType: 'Full', chargePointVersion: 0, version: 2 });
    expect(charger.sent().map((s) => [s.updateType, s.listVersion, s.localAuthorizationList?.length])).toEqual([['Full', 2, 3]]);
    expect(Object.keys(charger.list())).toEqual(['TAG-1', 'TAG-2', 'TAG-3']);
  });

  it('a differential answered VersionMismatch is retried once as Full; full: true forces Full', async () => {
    const { h, charger, localList } = await setUp(db);
    await localList.sync('CP-1');
    const em = h.em();
    em.create(IdTagSchema, { idTag: 'TAG-9', status: 'Accepted', parentIdTag: null, expiryDate: null });
    await em.flush();
    localList.markDirty();
    charger.forced = ['VersionMismatch'];
    charger.calls = [];
    const result = await localList.sync('CP-1');
    expect(charger.sent().map((s) => [s.updateType, s.listVersion, s.localAuthorizationList?.length])).toEqual([
      ['Differential', 2, 1],
      ['Full', 2, 4],
    ]);
    expect(result).toMatchObject({ outcome: 'Accepted', updateType: 'Differential', version: 2, calls: 2, entries: 4 });

    charger.calls = [];
    expect(await localList.sync('CP-1', { full: true })).toMatchObject({ outcome: 'Accepted', updateType: 'Full', version: 3 });
    expect(charger.sent().map((s) => [s.updateType, s.listVersion])).toEqual([['Full', 3]]);
  });

  it('GetLocalListVersion answered -1 or a NotSupported CALLERROR: not supported, nothing sent (TC_042_1)', async () => {
    const { h, charger, localList } = await setUp(db);
    charger.versionAnswer = -1;
    expect(await localList.sync('CP-1')).toMatchObject({ outcome: 'NotSupported', chargePointVersion: null, calls: 0 });
    charger.versionAnswer = 'NotSupported';
    expect(await localList.sync('CP-1')).toMatchObject({ outcome: 'NotSupported', calls: 0 });
    expect(charger.sent()).toEqual([]);
    expect(await h.em().findOneOrFail(LocalAuthListSchema, { chargePoint: 'CP-1' })).toMatchObject({ status: 'NotSupported', version: 0 });

    // Support arrives (firmware update): the next sync is a Full one.
    charger.versionAnswer = 'list';
    expect(await localList.sync('CP-1')).toMatchObject({ outcome: 'Accepted', updateType: 'Full', version: 1 });
  });

  it('Failed and NotSupported answers are stored; the next sync sends the full list again', async () => {
    const { h, charger, localList } = await setUp(db);
    charger.forced = ['Failed'];
    expect(await localList.sync('CP-1')).toMatchObject({ outcome: 'Failed', updateType: 'Full', version: 0, calls: 1 });
    expect(await h.em().findOneOrFail(LocalAuthListSchema, { chargePoint: 'CP-1' })).toMatchObject({ status: 'Failed', version: 0 });
    charger.forced = ['NotSupported'];
    expect(await localList.sync('CP-1')).toMatchObject({ outcome: 'NotSupported', updateType: 'Full' });
    charger.calls = [];
    expect(await localList.sync('CP-1')).toMatchObject({ outcome: 'Accepted', updateType: 'Full', version: 1 });
    expect(charger.sent()).toHaveLength(1);
  });

  it('splits a long list by SendLocalListMaxLength: Full first, then Differential parts', async () => {
    const { charger, localList } = await setUp(db);
    charger.config = { SendLocalListMaxLength: '2', LocalAuthListMaxLength: '100' };
    const result = await localList.sync('CP-1');
    expect(result).toMatchObject({ outcome: 'Accepted', version: 2, calls: 2, entriesSent: 3, entries: 3 });
    expect(charger.sent().map((s) => [s.updateType, s.listVersion, s.localAuthorizationList?.map((e) => e.idTag)])).toEqual([
      ['Full', 1, ['TAG-1', 'TAG-2']],
      ['Differential', 2, ['TAG-3']],
    ]);
    expect(charger.version).toBe(2);
  });

  it('clearCache sends ClearCache and returns the answer', async () => {
    const { charger, localList } = await setUp(db);
    expect(await localList.clearCache('CP-1', 'api:ops')).toEqual({ status: 'Accepted' });
    expect(charger.actions()).toEqual(['ClearCache']);
  });

  it('syncs by itself after boot and after markDirty; syncAll reports each charge point', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'], idTags: TAGS });
    const localList = h.server.csms.services.get('localList');
    localList.configure({ syncDelayMs: 30, dirtyDelayMs: 30 });
    const cp = await h.connect('CP-1');
    const charger = new ChargerLocalList(cp);
    await cp.boot();
    await until(() => charger.version === 1);
    await localList.idle();
    expect(charger.sent().map((s) => [s.updateType, s.listVersion])).toEqual([['Full', 1]]);

    const em = h.em();
    (await em.findOneOrFail(IdTagSchema, { idTag: 'TAG-1' })).status = 'Blocked';
    await em.flush();
    localList.markDirty();
    await until(() => charger.version === 2);
    await localList.idle();
    expect(charger.sent().at(-1)).toEqual({ listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: 'TAG-1', idTagInfo: { status: 'Blocked', expiryDate: expiry.toISOString() } }] });

    localList.configure({ autoSync: false });
    const cp2 = await h.connect('CP-2');
    await cp2.boot(); // no handlers: answers NotImplemented → not supported
    const all = await localList.syncAll('api:ops');
    expect(all).toEqual([
      { chargePointId: 'CP-1', result: expect.objectContaining({ outcome: 'UpToDate', version: 2 }), error: null },
      { chargePointId: 'CP-2', result: expect.objectContaining({ outcome: 'NotSupported' }), error: null },
    ]);
  });

  it('automatic syncs after boot wait in a queue: at most `concurrency` at once, every charger synced', async () => {
    const ids = ['CP-1', 'CP-2', 'CP-3', 'CP-4', 'CP-5', 'CP-6'];
    const h = await startRules(db, { chargePoints: ids, idTags: TAGS });
    const localList = h.server.csms.services.get('localList');
    localList.configure({ syncDelayMs: 10, concurrency: 2 });
    let inFlight = 0;
    let most = 0;
    const chargers: ChargerLocalList[] = [];
    for (const id of ids) {
      const cp = await h.connect(id);
      const charger = new ChargerLocalList(cp);
      // GetLocalListVersion answered after 60 ms: long enough for the other syncs to pile up.
      cp.handle('GetLocalListVersion', async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 60));
        inFlight--;
        return { listVersion: charger.version };
      });
      chargers.push(charger);
      await cp.boot();
    }
    await until(() => chargers.every((c) => c.version === 1));
    await localList.idle();
    expect(most).toBe(2);
    expect(chargers.map((c) => c.sent().length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(ids.some((id) => localList.hasScheduledSync(id))).toBe(false);
  });

  it('automatic syncs wait while the process is busy (a reconnect storm is served first), then run', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: TAGS });
    const localList = h.server.csms.services.get('localList');
    const load = h.server.csms.services.get('load');
    localList.configure({ syncDelayMs: 10 });
    const cp = await h.connect('CP-1');
    const charger = new ChargerLocalList(cp);
    // This process is the CSMS: keep its event loop running code, in slices so I/O still flows.
    let spinning = true;
    const spin = (async () => {
      while (spinning) {
        const end = performance.now() + 40;
        while (performance.now() < end) {
          // busy
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await until(() => load.busy);
    await cp.boot();
    await new Promise((r) => setTimeout(r, 600));
    expect(load.busy).toBe(true);
    expect(localList.hasScheduledSync('CP-1')).toBe(true);
    expect(charger.calls).toEqual([]);
    spinning = false;
    await spin;
    await until(() => charger.version === 1);
    expect(charger.calls.map((c) => c.action)).toContain('GetLocalListVersion');
  });

  it('fails clearly when the charge point is offline', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: TAGS });
    const localList = h.server.csms.services.get('localList');
    await expect(localList.sync('CP-1')).rejects.toMatchObject({ code: 'CSMS_ERR_CHARGE_POINT_OFFLINE' });
    expect(await localList.state('CP-1')).toBeNull();
  });
});
