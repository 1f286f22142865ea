/**
 * Site load management and operator charging profiles, end to end: a real CSMS, fake charge points
 * over real websockets that keep the profiles they accepted (as a charger would), and the
 * ChargingProfile table. The sums are checked on what the chargers actually received and hold.
 */
import { Writable } from 'node:stream';
import { createRPCError } from 'ocpp-rpc';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CHARGE_POINT_MAX_PROFILE_ID, TX_DEFAULT_PROFILE_ID, txProfileId } from '../src/domain/smart-charging/load-management-profiles.js';
import type { LoadManagementService } from '../src/domain/smart-charging/load-management-service.js';
import type { SiteSettings } from '../src/domain/settings/settings-service.js';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import type { ChargingProfile } from '../src/ocpp/v16/central-system-messages.js';
import { AuditLogSchema, ChargePointSchema, ChargingProfileSchema } from '../src/persistence/entities/index.js';
import type { FakeChargePoint } from '../src/testing/index.js';
import { closeRulesHarnesses, startRules, type RulesHarness, type RulesOptions } from './ocpp-rules-fixtures.js';
import { testDatabases, type TestDatabaseKind } from './support/databases.js';

afterEach(closeRulesHarnesses);

type Answer = 'Accepted' | 'Rejected' | 'NotSupported' | 'CallError' | 'Hang';

interface Received {
  seq: number;
  chargePointId: string;
  action: string;
  params: any;
}

let sequence = 0;

/**
 * A fake charger's smart-charging side: answers SetChargingProfile / ClearChargingProfile /
 * GetCompositeSchedule as scripted, and keeps the profiles it accepted the way S16 §3.13 says
 * (same id, or same purpose + stack level on the connector, replaces; a TxProfile ends with its
 * transaction).
 */
class ScriptedCharger {
  readonly received: Received[] = [];
  /** chargingProfileId → profile in force. */
  readonly installed = new Map<number, { connectorId: number; profile: ChargingProfile }>();
  answer: (action: string, params: any) => Answer = () => 'Accepted';

  constructor(readonly cp: FakeChargePoint) {
    cp.handle('SetChargingProfile', (params: { connectorId: number; csChargingProfiles: ChargingProfile }) => {
      const status = this.#record('SetChargingProfile', params);
      if (status === 'Hang') return new Promise(() => {});
      if (status === 'Accepted') {
        const p = params.csChargingProfiles;
        for (const [id, e] of this.installed) {
          if (id === p.chargingProfileId || (e.connectorId === params.connectorId && e.profile.stackLevel === p.stackLevel && e.profile.chargingProfilePurpose === p.chargingProfilePurpose)) {
            this.installed.delete(id);
          }
        }
        this.installed.set(p.chargingProfileId, { connectorId: params.connectorId, profile: p });
      }
      return { status };
    });
    cp.handle('ClearChargingProfile', (params: { id?: number }) => {
      this.#record('ClearChargingProfile', params);
      const had = params.id !== undefined ? this.installed.delete(params.id) : this.installed.size > 0;
      if (params.id === undefined) this.installed.clear();
      return { status: had ? 'Accepted' : 'Unknown' };
    });
    cp.handle('GetCompositeSchedule', (params: { connectorId: number; duration: number }) => {
      this.#record('GetCompositeSchedule', params);
      return { status: 'Accepted', connectorId: params.connectorId, scheduleStart: new Date().toISOString(), chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7400 }] } };
    });
  }

  #record(action: string, params: any): Exclude<Answer, 'CallError'> {
    this.received.push({ seq: ++sequence, chargePointId: this.cp.identity, action, params });
    const answer = this.answer(action, params);
    if (answer === 'CallError') throw createRPCError('InternalError', 'scripted failure');
    return answer;
  }

  sets(purpose?: string): Received[] {
    return this.received.filter((r) => r.action === 'SetChargingProfile' && (!purpose || r.params.csChargingProfiles.chargingProfilePurpose === purpose));
  }

  /** What the charger lets a transaction draw (W): its TxProfile, else the TxDefaultProfile, else no limit. */
  limitOf(transactionId: number): number {
    const limit = (p: ChargingProfile) => p.chargingSchedule.chargingSchedulePeriod[0]!.limit;
    const own = [...this.installed.values()].filter((e) => e.profile.chargingProfilePurpose === 'TxProfile' && e.profile.transactionId === transactionId);
    if (own.length > 0) return Math.min(...own.map((e) => limit(e.profile)));
    const def = [...this.installed.values()].filter((e) => e.profile.chargingProfilePurpose === 'TxDefaultProfile');
    return def.length > 0 ? Math.min(...def.map((e) => limit(e.profile))) : Number.POSITIVE_INFINITY;
  }

  chargePointMaxW(): number {
    const max = [...this.installed.values()].filter((e) => e.profile.chargingProfilePurpose === 'ChargePointMaxProfile');
    return max.length > 0 ? Math.min(...max.map((e) => e.profile.chargingSchedule.chargingSchedulePeriod[0]!.limit)) : Number.POSITIVE_INFINITY;
  }

  /** The charger drops a TxProfile when its transaction ends. */
  endTransaction(transactionId: number): void {
    for (const [id, e] of this.installed) if (e.profile.transactionId === transactionId) this.installed.delete(id);
  }
}

interface Site {
  h: RulesHarness;
  lm: LoadManagementService;
  chargers: Map<string, ScriptedCharger>;
  /** Running transactions: id → charge point. */
  running: Map<number, string>;
  settle(): Promise<void>;
  setSite(site: Partial<SiteSettings>): Promise<void>;
  connect(id: string, boot?: boolean): Promise<ScriptedCharger>;
  start(chargePointId: string, connectorId?: number): Promise<number>;
  stop(transactionId: number): Promise<void>;
  /** Sum over running transactions of what their chargers let them draw (W). */
  inForceSumW(): number;
}

const DEFAULT_SITE: SiteSettings = { maxGridPowerKw: null, minPowerPerConnectorKw: 1.4, defaultChargePointMaxKw: 22 };

async function startSite(db: TestDatabaseKind, ids: string[], options: RulesOptions = {}): Promise<Site> {
  const h = await startRules(db, { chargePoints: ids, idTags: { TAG: 'Accepted' }, ...options });
  const lm = h.server.csms.services.get('loadManagement');
  const chargers = new Map<string, ScriptedCharger>();
  const running = new Map<number, string>();
  let site = { ...DEFAULT_SITE };
  const s: Site = {
    h,
    lm,
    chargers,
    running,
    async settle() {
      // Hooks queue passes; a boot answer schedules one with setImmediate: settle twice.
      for (let i = 0; i < 2; i++) {
        await h.server.csms.drain();
        await new Promise((r) => setImmediate(r));
        await lm.settled();
      }
    },
    async setSite(patch) {
      site = { ...site, ...patch };
      await h.server.csms.services.get('settings').set('site', site, 'test');
      await s.settle();
    },
    async connect(id, boot = true) {
      const cp = await h.connect(id);
      const charger = new ScriptedCharger(cp);
      chargers.set(id, charger);
      if (boot) await cp.boot();
      await s.settle();
      return charger;
    },
    async start(chargePointId, connectorId = 1) {
      const { transactionId } = await chargers.get(chargePointId)!.cp.startTransaction({ connectorId, idTag: 'TAG', meterStart: 0 });
      running.set(transactionId, chargePointId);
      await s.settle();
      return transactionId;
    },
    async stop(transactionId) {
      const charger = chargers.get(running.get(transactionId)!)!;
      await charger.cp.stopTransaction({ transactionId, meterStop: 1000 });
      charger.endTransaction(transactionId);
      running.delete(transactionId);
      await s.settle();
    },
    inForceSumW() {
      let sum = 0;
      for (const [tx, cpId] of running) sum += chargers.get(cpId)!.limitOf(tx);
      return sum;
    },
  };
  return s;
}

/** Waits (bounded) until `check` holds. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function logCapture(): { logger: pino.Logger; lines: () => any[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines: () => lines.map((l) => JSON.parse(l)) };
}

describe.each(testDatabases())('site load management on $name', (db) => {
  it('keeps the sum of the limits in force under the site limit through starts, stops and limit changes (3 chargers)', async () => {
    const s = await startSite(db, ['A', 'B', 'C']);
    await s.h.em().nativeUpdate(ChargePointSchema, { id: 'A' }, { maxPowerKw: 7.4 });
    const [a, b, c] = [await s.connect('A'), await s.connect('B'), await s.connect('C')];
    // No site limit yet: load management sends nothing.
    expect([...a.received, ...b.received, ...c.received]).toEqual([]);

    await s.setSite({ maxGridPowerKw: 30 });
    const siteW = () => 30_000;
    const check = async (expected: Record<number, number>, limitW = siteW()) => {
      expect(s.inForceSumW()).toBeLessThanOrEqual(limitW);
      for (const [tx, w] of Object.entries(expected)) expect(s.chargers.get(s.running.get(Number(tx))!)!.limitOf(Number(tx)), `tx ${tx}`).toBe(w);
      // What was sent is what load management reports.
      const status = await s.lm.status();
      for (const al of status.allocations) {
        expect(s.chargers.get(al.chargePointId)!.limitOf(al.transactionId)).toBe(Math.round(al.limitKw * 1000));
        expect(al.profileStatus).toBe('Accepted');
      }
      expect(status.allocatedKw * 1000).toBeLessThanOrEqual(limitW);
      // No charger is asked to exceed its ChargePointMaxProfile.
      for (const [cpId, charger] of s.chargers) {
        const onCharger = [...s.running].filter(([, id]) => id === cpId).reduce((sum, [tx]) => sum + charger.limitOf(tx), 0);
        if (onCharger > 0) expect(onCharger).toBeLessThanOrEqual(charger.chargePointMaxW());
      }
    };
    // Fail-safe profiles reach every charger: max = min(own max, 30 − 2 × 1.4) kW; new sessions start at 1.4 kW.
    expect(a.chargePointMaxW()).toBe(7_400);
    expect(b.chargePointMaxW()).toBe(22_000);
    expect(c.chargePointMaxW()).toBe(22_000);

    const t1 = await s.start('A');
    await check({ [t1]: 7_400 }); // charger maximum respected
    const t2 = await s.start('B');
    await check({ [t1]: 7_400, [t2]: 22_000 });
    const setsBefore = sequence;
    const t3 = await s.start('C');
    await check({ [t1]: 7_400, [t2]: 11_300, [t3]: 11_300 });
    // B was lowered before C was raised.
    const bLowered = b.sets('TxProfile').find((r) => r.seq > setsBefore)!;
    const cRaised = c.sets('TxProfile').find((r) => r.seq > setsBefore)!;
    expect(bLowered.params.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit).toBe(11_300);
    expect(bLowered.seq).toBeLessThan(cRaised.seq);

    const t4 = await s.start('B', 2); // two sessions share charger B
    const share = Math.floor(22_600 / 3);
    await check({ [t1]: 7_400, [t2]: share, [t3]: share, [t4]: share });
    await s.stop(t1);
    await check({ [t2]: 10_000, [t3]: 10_000, [t4]: 10_000 });

    // A lower site limit rebalances (and lowers the fail-safe caps: 12 − 2 × 1.4 = 9.2 kW).
    await s.setSite({ maxGridPowerKw: 12 });
    await check({ [t2]: 4_000, [t3]: 4_000, [t4]: 4_000 }, 12_000);
    expect(b.chargePointMaxW()).toBe(9_200);

    // Only what changed is sent again: a stop of nothing-related and an unchanged setting send nothing.
    const count = () => [...s.chargers.values()].reduce((n, ch) => n + ch.received.length, 0);
    const before = count();
    await s.setSite({ maxGridPowerKw: 12 });
    expect(count()).toBe(before);

    await s.stop(t3);
    await check({ [t2]: 4_600, [t4]: 4_600 }, 12_000);
    const t5 = await s.start('A');
    await check({ [t2]: 4_000, [t4]: 4_000, [t5]: 4_000 }, 12_000);
    await s.stop(t2);
    await s.stop(t4);
    await s.stop(t5);
    expect(s.inForceSumW()).toBe(0);

    // Null: load management clears its profiles and stops.
    const rowsBefore = await s.h.em().count(ChargingProfileSchema, { status: { $ne: 'Cleared' } });
    expect(rowsBefore).toBe(6); // 3 × (ChargePointMaxProfile + TxDefaultProfile)
    await s.setSite({ maxGridPowerKw: null });
    for (const ch of s.chargers.values()) {
      expect(ch.installed.size).toBe(0);
      expect(ch.received.filter((r) => r.action === 'ClearChargingProfile').map((r) => r.params.id).sort()).toEqual([CHARGE_POINT_MAX_PROFILE_ID, TX_DEFAULT_PROFILE_ID]);
    }
    expect(await s.h.em().count(ChargingProfileSchema, { status: { $ne: 'Cleared' } })).toBe(0);
    expect(await s.lm.status()).toEqual({ siteLimitKw: null, allocatedKw: 0, allocations: [], failSafe: [] });
  });

  it('clears the TxProfiles of running sessions when the limit is removed', async () => {
    const s = await startSite(db, ['A', 'B']);
    const [a, b] = [await s.connect('A'), await s.connect('B')];
    await s.setSite({ maxGridPowerKw: 10 });
    const t1 = await s.start('A');
    const t2 = await s.start('B');
    expect(a.limitOf(t1) + b.limitOf(t2)).toBe(10_000);
    await s.setSite({ maxGridPowerKw: null });
    expect(a.received.filter((r) => r.action === 'ClearChargingProfile').map((r) => r.params)).toContainEqual({ id: txProfileId(t1) });
    expect(a.limitOf(t1)).toBe(Number.POSITIVE_INFINITY);
    expect(b.limitOf(t2)).toBe(Number.POSITIVE_INFINITY);
    // Stays off: a new session gets no profile.
    const sent = a.received.length;
    await s.start('A', 2);
    expect(a.received.length).toBe(sent);
  });

  it('respects the minimum: the newest sessions are paused with a 0 W profile when the site cannot give everyone the minimum', async () => {
    const s = await startSite(db, ['A', 'B']);
    const [a, b] = [await s.connect('A'), await s.connect('B')];
    await s.setSite({ maxGridPowerKw: 5, minPowerPerConnectorKw: 2 });
    const t1 = await s.start('A', 1);
    const t2 = await s.start('B', 1);
    const t3 = await s.start('A', 2);
    expect([a.limitOf(t1), b.limitOf(t2), a.limitOf(t3)]).toEqual([2_500, 2_500, 0]);
    expect(s.inForceSumW()).toBeLessThanOrEqual(5_000);
    const paused = (await s.lm.status()).allocations.find((x) => x.transactionId === t3)!;
    expect(paused).toMatchObject({ limitKw: 0, reason: 'paused', profileStatus: 'Accepted' });
    // The oldest session ends: the paused one resumes.
    await s.stop(t1);
    expect([b.limitOf(t2), a.limitOf(t3)]).toEqual([2_500, 2_500]);
  });

  it('sends the fail-safe profiles at every boot, and catches up a charger that was offline when the limit changed', async () => {
    const s = await startSite(db, ['A', 'B']);
    await s.setSite({ maxGridPowerKw: 20 });
    const a = await s.connect('A');
    // Exact profiles: ChargePointMaxProfile on connector 0 (20 − 1 × 1.4 = 18.6 kW), TxDefaultProfile at the minimum.
    expect(a.sets().map((r) => r.params)).toEqual([
      {
        connectorId: 0,
        csChargingProfiles: {
          chargingProfileId: CHARGE_POINT_MAX_PROFILE_ID,
          stackLevel: 0,
          chargingProfilePurpose: 'ChargePointMaxProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: { startSchedule: expect.any(String), chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 18_600 }] },
        },
      },
      {
        connectorId: 0,
        csChargingProfiles: {
          chargingProfileId: TX_DEFAULT_PROFILE_ID,
          stackLevel: 0,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Relative',
          chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 1_400 }] },
        },
      },
    ]);
    // A boot sends them again (the charger may have lost them), although nothing changed.
    await a.cp.boot();
    await s.settle();
    expect(a.sets().map((r) => r.params.csChargingProfiles.chargingProfilePurpose)).toEqual(['ChargePointMaxProfile', 'TxDefaultProfile', 'ChargePointMaxProfile', 'TxDefaultProfile']);

    // B booted once, then went offline; the limit changes meanwhile; B reconnects WITHOUT booting.
    const b1 = await s.connect('B');
    expect(b1.chargePointMaxW()).toBe(18_600);
    await b1.cp.close();
    await s.settle();
    await s.setSite({ maxGridPowerKw: 10 });
    const b2 = await s.connect('B', false);
    expect(b2.sets().map((r) => [r.params.csChargingProfiles.chargingProfilePurpose, r.params.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit])).toEqual([
      ['ChargePointMaxProfile', 8_600],
    ]);
    const rows = await s.h.em().find(ChargingProfileSchema, { chargePoint: 'B' }, { orderBy: { chargingProfileId: 'asc' } });
    expect(rows.map((r) => [r.purpose, r.status, r.schedule.chargingSchedulePeriod[0]!.limit])).toEqual([
      ['ChargePointMaxProfile', 'Accepted', 8_600],
      ['TxDefaultProfile', 'Accepted', 1_400],
    ]);
    // Every call is in the audit log under the load management actor.
    expect(await s.h.em().count(AuditLogSchema, { actor: 'system:load-management', action: 'SetChargingProfile' })).toBeGreaterThanOrEqual(7);
  });

  it('counts an offline charger\'s session at the limit it holds, and rebalances when it returns (lowering first)', async () => {
    const s = await startSite(db, ['A', 'B']);
    const a = await s.connect('A');
    const b = await s.connect('B');
    await s.setSite({ maxGridPowerKw: 20 });
    const t1 = await s.start('A');
    expect(a.limitOf(t1)).toBe(18_600); // 20 − 1.4: A's ChargePointMaxProfile caps it
    // A drops off the network; its session goes on at 18.6 kW. B's new session gets what is left.
    await a.cp.close();
    await s.settle();
    const t2 = await s.start('B');
    expect(b.limitOf(t2)).toBe(1_400);
    expect(a.limitOf(t1) + b.limitOf(t2)).toBeLessThanOrEqual(20_000);
    expect((await s.lm.status()).allocations.map((x) => [x.transactionId, x.limitKw, x.reason])).toEqual([
      [t1, 18.6, 'fixed'],
      [t2, 1.4, 'fair-share'],
    ]);
    // A reconnects (no boot): A is lowered to 10 kW before B is raised to 10 kW.
    const mark = sequence;
    const a2 = await s.connect('A', false);
    const lowered = a2.sets('TxProfile').find((r) => r.seq > mark)!;
    const raised = b.sets('TxProfile').find((r) => r.seq > mark)!;
    expect(lowered.params.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit).toBe(10_000);
    expect(raised.params.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit).toBe(10_000);
    expect(lowered.seq).toBeLessThan(raised.seq);
  });

  it('retries a Rejected profile with backoff, then gives up and logs it; the table says Rejected', async () => {
    const capture = logCapture();
    const s = await startSite(db, ['A'], { ocpp: { callTimeoutMs: 100 }, logger: capture.logger });
    const a = await s.connect('A');
    a.answer = (action, params) => (action === 'SetChargingProfile' && params.csChargingProfiles.chargingProfilePurpose === 'TxProfile' ? 'Rejected' : 'Accepted');
    await s.setSite({ maxGridPowerKw: 11 });
    const t1 = await s.start('A');
    await eventually(() => a.sets('TxProfile').length >= 5);
    await eventually(() => capture.lines().some((l) => l.level === 50 && /giving up/.test(l.msg)));
    await s.settle();
    expect(a.sets('TxProfile')).toHaveLength(5); // bounded: 5 attempts
    const warnings = capture.lines().filter((l) => l.level === 40 && /SetChargingProfile TxProfile .* failed; retrying/.test(l.msg));
    expect(warnings.map((w) => w.attempt)).toEqual([1, 2, 3, 4]);
    expect(warnings.map((w) => w.retryInMs)).toEqual([100, 200, 400, 800]);
    const row = await s.h.em().findOneOrFail(ChargingProfileSchema, { chargePoint: 'A', chargingProfileId: txProfileId(t1) });
    expect(row.status).toBe('Rejected');
    expect((await s.lm.status()).allocations[0]).toMatchObject({ transactionId: t1, limitKw: 11, profileStatus: 'Rejected' });

    // A reconnect tries again (fresh attempts); this time the charger accepts.
    a.answer = () => 'Accepted';
    await a.cp.close();
    await s.settle();
    const again = await s.connect('A', false);
    expect(again.sets('TxProfile').map((r) => r.params.csChargingProfiles.transactionId)).toEqual([t1]);
    expect((await s.h.em().findOneOrFail(ChargingProfileSchema, { chargePoint: 'A', chargingProfileId: txProfileId(t1) })).status).toBe('Accepted');
  });

  it('retries after a CALLERROR, NotSupported and a timeout until the charger accepts', async () => {
    const s = await startSite(db, ['A'], { ocpp: { callTimeoutMs: 150 } });
    const a = await s.connect('A');
    const script: Answer[] = ['CallError', 'NotSupported', 'Hang'];
    a.answer = (action, params) =>
      action === 'SetChargingProfile' && params.csChargingProfiles.chargingProfilePurpose === 'TxProfile' ? (script.shift() ?? 'Accepted') : 'Accepted';
    await s.setSite({ maxGridPowerKw: 7 });
    const t1 = await s.start('A');
    await eventually(async () => (await s.lm.status()).allocations[0]?.profileStatus === 'Accepted');
    expect(a.sets('TxProfile')).toHaveLength(4);
    expect(a.limitOf(t1)).toBe(7_000);
    const outcomes = (await s.h.em().find(AuditLogSchema, { action: 'SetChargingProfile' }, { orderBy: { id: 'asc' } }))
      .filter((r) => (r.request as any).csChargingProfiles.chargingProfilePurpose === 'TxProfile')
      .map((r) => r.outcome);
    expect(outcomes).toEqual(['call-error', 'notsupported', 'timeout', 'accepted']);
  });
});

describe.each(testDatabases())('operator charging profiles on $name', (db) => {
  const txDefault = (id: number, stackLevel: number, limit: number): ChargingProfile => ({
    chargingProfileId: id,
    stackLevel,
    chargingProfilePurpose: 'TxDefaultProfile',
    chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit }] },
  });

  it('sets TxDefault (TC_056) and Tx (TC_057) profiles, reads the composite schedule (TC_066) and clears (TC_067), storing each state', async () => {
    const s = await startSite(db, ['A']);
    const a = await s.connect('A');
    const lm = s.lm;

    const set = await lm.setChargingProfile('A', 1, txDefault(10, 0, 16), 'api:ops');
    expect(set.status).toBe('Accepted');
    expect(set.profile).toMatchObject({ chargePointId: 'A', connectorId: 1, chargingProfileId: 10, purpose: 'TxDefaultProfile', status: 'Accepted', loadManagement: false, schedule: { chargingRateUnit: 'A' } });
    expect(a.sets()[0]!.params).toEqual({ connectorId: 1, csChargingProfiles: txDefault(10, 0, 16) });

    // A TxProfile needs a running transaction; its transactionId is filled in.
    const tx: ChargingProfile = { chargingProfileId: 11, stackLevel: 1, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 3_000 }] } };
    await expect(lm.setChargingProfile('A', 1, tx)).rejects.toMatchObject({ code: CsmsErrorCode.CALL_NOT_ALLOWED });
    const t1 = await s.start('A');
    await expect(lm.setChargingProfile('A', 1, { ...tx, transactionId: t1 + 100 })).rejects.toMatchObject({ code: CsmsErrorCode.CALL_NOT_ALLOWED });
    const txSet = await lm.setChargingProfile('A', 1, tx, 'api:ops');
    expect(txSet).toMatchObject({ status: 'Accepted', profile: { transactionId: t1, purpose: 'TxProfile' } });
    expect(a.limitOf(t1)).toBe(3_000);

    // Rules: reserved ids, ChargePointMaxProfile on connector 0 only.
    await expect(lm.setChargingProfile('A', 1, txDefault(1_000_000_000, 1, 16))).rejects.toMatchObject({ code: CsmsErrorCode.COMMAND_INVALID });
    await expect(lm.setChargingProfile('A', 1, { ...txDefault(12, 1, 16), chargingProfilePurpose: 'ChargePointMaxProfile' })).rejects.toMatchObject({ code: CsmsErrorCode.COMMAND_INVALID });

    // A refusal is returned and stored.
    a.answer = () => 'Rejected';
    expect(await lm.setChargingProfile('A', 0, txDefault(13, 2, 10))).toMatchObject({ status: 'Rejected', profile: { status: 'Rejected' } });
    a.answer = () => 'Accepted';

    // Same purpose and stack level on the connector: the older one is replaced.
    await lm.setChargingProfile('A', 1, txDefault(14, 0, 20));
    const rows = await lm.profiles({ chargePointId: 'A', includeCleared: true });
    expect(rows.find((r) => r.chargingProfileId === 10)!.status).toBe('Cleared');
    expect(rows.find((r) => r.chargingProfileId === 14)!.status).toBe('Accepted');

    const composite = await lm.getCompositeSchedule('A', { connectorId: 1, duration: 3600, chargingRateUnit: 'W' }, 'api:ops');
    expect(composite).toMatchObject({ status: 'Accepted', connectorId: 1 });
    expect(a.received.find((r) => r.action === 'GetCompositeSchedule')!.params).toEqual({ connectorId: 1, duration: 3600, chargingRateUnit: 'W' });

    expect(await lm.clearChargingProfile('A', { id: 14 }, 'api:ops')).toEqual({ status: 'Accepted', cleared: 1 });
    expect(await lm.clearChargingProfile('A', { id: 999 })).toEqual({ status: 'Unknown', cleared: 0 });
    expect(await lm.clearChargingProfile('A', { chargingProfilePurpose: 'TxProfile' })).toMatchObject({ status: 'Accepted', cleared: 1 });
    expect((await lm.profiles({ chargePointId: 'A' })).map((r) => r.chargingProfileId)).toEqual([13]);
    expect(await s.h.em().count(AuditLogSchema, { actor: 'api:ops' })).toBe(4);
  });

  it('keeps stack level 0 for load management while a site limit is set', async () => {
    const s = await startSite(db, ['A']);
    await s.connect('A');
    await s.setSite({ maxGridPowerKw: 11 });
    await expect(s.lm.setChargingProfile('A', 1, txDefault(10, 0, 16))).rejects.toMatchObject({ code: CsmsErrorCode.CALL_NOT_ALLOWED });
    expect((await s.lm.setChargingProfile('A', 1, txDefault(10, 1, 16))).status).toBe('Accepted');
  });

  it('RemoteStartTransaction carries a charging profile (TC_059)', async () => {
    const s = await startSite(db, ['A']);
    const a = await s.connect('A');
    const got: unknown[] = [];
    a.cp.handle('RemoteStartTransaction', (params) => {
      got.push(params);
      return { status: 'Accepted' };
    });
    const chargingProfile: ChargingProfile = {
      chargingProfileId: 1,
      stackLevel: 1,
      chargingProfilePurpose: 'TxProfile',
      chargingProfileKind: 'Relative',
      chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
    };
    const answer = await s.h.server.csms.chargePoints.get('A').remoteStartTransaction({ connectorId: 1, idTag: 'TAG', chargingProfile }, { actor: 'api:ops' });
    expect(answer).toEqual({ status: 'Accepted' });
    expect(got).toEqual([{ connectorId: 1, idTag: 'TAG', chargingProfile }]);
  });
});
