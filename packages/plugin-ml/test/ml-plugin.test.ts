import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingLogger, createTestCsms, FakeChargePoint, type TestCsms } from '@charge-it/core/testing';
import { ml, seedSyntheticHistory } from '../src/index.js';
import { testDatabases, type TestDatabase } from '@charge-it/core/testing';

const KEY = 'ml-plugin-test-admin-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };

async function get(t: TestCsms, path: string, headers: Record<string, string> = auth) {
  const res = await fetch(`${t.url}/api/v1${path}`, { headers });
  return { status: res.status, body: (await res.json()) as any };
}

async function post(t: TestCsms, path: string, body: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(`${t.url}/api/v1${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

describe('ml plugin on an empty database', () => {
  let t: TestCsms;
  beforeAll(async () => {
    t = await createTestCsms({ plugins: [ml({ trainOnStart: false, intervalMinutes: 0 })], apiAdminKey: KEY });
  });
  afterAll(() => t?.close());

  it('answers "not trained yet", then after training "not enough data yet (have 0, need Y)", never an error', async () => {
    const service = t.csms.services.get('ml');
    expect(service.forecast()).toMatchObject({ status: 'not-trained', model: 'forecast' });
    expect((await get(t, '/ml/segments')).body).toMatchObject({ status: 'not-trained' });
    const training = service.train('test');
    expect(service.status().state).toBe('training');
    const status = await training;
    expect(status.state).toBe('idle');
    expect(status.lastRun).toMatchObject({ trigger: 'test', status: 'ok', sessions: 0 });
    for (const name of ['forecast', 'availability', 'sessionAnomalies', 'meterAnomalies', 'segments', 'regression']) {
      expect(status.models[name]).toMatchObject({ status: 'not-enough-data' });
      expect(status.models[name]!.message).toMatch(/^not enough data yet \(have 0 .*, need \d+\)$/);
    }
    const forecast = await get(t, '/ml/forecast');
    expect(forecast.status).toBe(200);
    expect(forecast.body).toEqual({ status: 'not-enough-data', model: 'forecast', message: 'not enough data yet (have 0 hours of history, need 504)', have: 0, need: 504, unit: 'hours of history' });
    expect((await get(t, '/ml/anomalies')).body).toMatchObject({ sessions: { status: 'not-enough-data', have: 0, need: 50 }, meter: { status: 'not-enough-data' } });
    expect((await get(t, '/ml/advice')).body).toMatchObject({ status: 'not-enough-data', model: 'regression' });
  });

  it('a training asked for during a run gets its own run right after it', async () => {
    const service = t.csms.services.get('ml');
    const first = service.train('first');
    const second = service.train('second');
    const third = service.train('third');
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    const a = await first;
    const b = await second;
    expect(a.lastRun).toMatchObject({ trigger: 'first', status: 'ok' });
    expect(b.lastRun).toMatchObject({ trigger: 'second', status: 'ok' });
    expect(Date.parse(b.lastRun!.startedAt)).toBeGreaterThanOrEqual(Date.parse(a.lastRun!.finishedAt!));
  });

  it('a tiny database (three days) still gets "not enough data yet", with what it has', async () => {
    const seeded = await seedSyntheticHistory(t.csms, { days: 3, seed: 2 });
    expect(seeded.created).toBeGreaterThan(10);
    const status = await t.csms.services.get('ml').train('tiny');
    expect(status.lastRun).toMatchObject({ status: 'ok', sessions: seeded.created });
    const forecast = t.csms.services.get('ml').forecast();
    expect(forecast).toMatchObject({ status: 'not-enough-data', need: 504 });
    if (forecast.status === 'not-enough-data') expect(forecast.have).toBeGreaterThan(24);
    expect(t.csms.services.get('ml').sessionAnomalies()).toMatchObject({ status: 'not-enough-data', have: seeded.created, need: 50 });
    expect(t.csms.services.get('ml').regression()).toMatchObject({ status: 'not-enough-data', have: seeded.created, need: 100 });
    expect(t.csms.services.get('ml').availability()).toMatchObject({ status: 'not-enough-data', need: 504 });
  });

  it('protects the endpoints like the rest of the REST API and documents them in OpenAPI', async () => {
    expect((await get(t, '/ml/forecast', {})).status).toBe(401);
    expect((await get(t, '/ml/status', { authorization: 'Bearer wrong-key-wrong-key-wrong-key' })).status).toBe(401);
    const doc = await get(t, '/openapi.json', {});
    for (const path of ['/ml/forecast', '/ml/availability', '/ml/anomalies', '/ml/segments', '/ml/advice', '/ml/status', '/ml/train', '/ml/predict']) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    expect(doc.body.paths['/ml/train'].post.description).toMatch(/Role: operator/);
    expect(doc.body.paths['/ml/forecast'].get.description).toMatch(/Role: viewer/);
    const bad = await get(t, '/ml/forecast?hours=500');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBeDefined();
  });

  it('refuses bad options at start with a clear message', () => {
    expect(() => ml({ horizonHours: 72 })).toThrow(/horizonHours must be a whole number from 24 to 48/);
    expect(() => ml({ timeZone: 'Nowhere/Land' })).toThrow(/unknown time zone "Nowhere\/Land"/);
  });
});

describe('ml plugin training schedule', () => {
  it('trains at start in the background, with progress in the log and in the status', async () => {
    const logger = createRecordingLogger({ level: 'info' });
    const t = await createTestCsms({ logger, plugins: [ml({ intervalMinutes: 0 })] });
    try {
      const finished = await logger.waitFor((e) => e.msg === 'ml: training finished', { timeoutMs: 60_000 });
      expect(finished.summary).toMatch(/forecast: not enough data yet/);
      const progress = logger.filter((e) => typeof e.msg === 'string' && e.msg.startsWith('ml: trained '));
      expect(progress.map((e) => e.msg)).toEqual([
        'ml: trained forecast (1/6)',
        'ml: trained availability (2/6)',
        'ml: trained sessionAnomalies (3/6)',
        'ml: trained meterAnomalies (4/6)',
        'ml: trained segments (5/6)',
        'ml: trained regression (6/6)',
      ]);
      const status = t.csms.services.get('ml').status();
      expect(status.lastRun).toMatchObject({ trigger: 'start', status: 'ok' });
      expect(status.nextRunAt).toBeNull();
    } finally {
      await t.close();
    }
  });
});

describe.each(testDatabases())('ml plugin on a synthetic history ($name)', (db) => {
  let database: TestDatabase;
  let databaseUrl: string;
  let t: TestCsms;
  beforeAll(async () => {
    database = await db.create();
    databaseUrl = database.databaseUrl;
    t = await createTestCsms({ databaseUrl, plugins: [ml({ trainOnStart: false, intervalMinutes: 0, timeZone: 'Asia/Jakarta', perChargePoint: true })], apiAdminKey: KEY });
  });
  afterAll(async () => {
    await t?.close();
    await database?.dispose();
  });

  it('writes the history through the core, marked synthetic, idempotently', async () => {
    const first = await seedSyntheticHistory(t.csms, { days: 70, seed: 3 });
    expect(first.created).toBe(first.history.sessions.length);
    expect(first.created).toBeGreaterThan(800);
    const again = await seedSyntheticHistory(t.csms, { days: 70, seed: 3, end: first.history.to });
    expect(again).toMatchObject({ created: 0, duplicates: first.created });
    const rows = await t.csms.services.get('queries').sessionsForAnalysis({ limit: 100_000 });
    expect(rows).toHaveLength(first.created);
    expect(rows.every((r) => r.flags.includes('synthetic'))).toBe(true);
    expect(rows.filter((r) => r.flags.includes('synthetic-anomaly'))).toHaveLength(8);
    expect(rows.filter((r) => r.maxPowerW !== null && r.idleS !== null).length).toBe(rows.length);
  });

  it('trains in a worker thread and answers over REST with the metric and the synthetic share', async () => {
    const status = await t.csms.services.get('ml').train('test');
    expect(status.lastRun).toMatchObject({ status: 'ok', trigger: 'test' });
    for (const name of ['forecast', 'availability', 'sessionAnomalies', 'segments', 'regression']) expect(status.models[name]).toMatchObject({ status: 'ok' });
    // Meter streams come only from recorded sessions: none yet.
    expect(status.models.meterAnomalies).toMatchObject({ status: 'not-enough-data' });
    expect(Object.keys(status.models)).toEqual(expect.arrayContaining(['forecast:SYN-CP-1', 'forecast:SYN-DC-1']));

    const forecast = (await get(t, '/ml/forecast?hours=24')).body;
    expect(forecast).toMatchObject({ status: 'ok', model: 'forecast', training: { syntheticShare: 1, unit: 'hours' } });
    expect(forecast.metric).toMatchObject({ name: 'MAE (kW)', baseline: { name: expect.stringMatching(/seasonal-naive/) } });
    expect(forecast.result.points).toHaveLength(24);
    const perCp = (await get(t, '/ml/forecast?chargePointId=SYN-DC-1')).body;
    expect(perCp.status).toBe('ok');
    expect((await get(t, '/ml/forecast?chargePointId=NOPE')).status).toBe(404);

    const availability = (await get(t, '/ml/availability?chargePointId=SYN-CP-1&connectorId=2')).body;
    expect(availability.result.connectors).toHaveLength(1);
    expect(availability.result.connectors[0].freeProbability).toHaveLength(168);

    const anomalies = (await get(t, '/ml/anomalies?kind=sessions&limit=8')).body;
    expect(anomalies.meter).toBeUndefined();
    expect(anomalies.sessions.metric).toMatchObject({ name: 'precision@k', extra: { k: 8 } });
    expect(anomalies.sessions.metric.value).toBeGreaterThanOrEqual(0.75);
    expect(anomalies.sessions.result.anomalies).toHaveLength(8);
    expect(anomalies.sessions.result.model).toBeUndefined();
    const injected = anomalies.sessions.result.anomalies.filter((a: { flags: string[] }) => a.flags.includes('synthetic-anomaly'));
    expect(injected.length).toBeGreaterThanOrEqual(6);
    expect(anomalies.sessions.result.anomalies[0].explanation).toMatch(/^Unusual at SYN-/);

    const segments = (await get(t, '/ml/segments')).body;
    expect(segments.metric.name).toBe('silhouette');
    expect(segments.result.segments.map((s: { name: string }) => s.name).sort()).toEqual(['daytime workplace chargers', 'evening commuters', 'fleet and taxi drivers', 'weekend visitors']);

    const predicted = await post(t, '/ml/predict', { idTag: 'SYN-FT001', chargePointId: 'SYN-DC-1' });
    expect(predicted.body).toMatchObject({ status: 'ok', model: 'regression', result: { idTagSessions: expect.any(Number) } });
    expect(predicted.body.result.energyWh).toBeGreaterThan(10_000);
    expect(predicted.body.metric.baseline.name).toMatch(/per-idTag mean/);

    const started = await post(t, '/ml/train', {});
    expect(started.status).toBe(202);
    expect(started.body.state).toBe('training');
    const last = await t.csms.services.get('ml').train();
    expect(last.state).toBe('idle');
  });

  it('advises on a live session of a known driver', async () => {
    const cp = new FakeChargePoint({ url: t.ocppUrlFor('SYN-CP-1'), identity: 'SYN-CP-1' });
    await cp.connect();
    try {
      await cp.boot();
      await t.csms.services.get('idTags').ensure([{ idTag: 'SYN-DW001' }], 'test');
      const started = await cp.startTransaction({ connectorId: 1, idTag: 'SYN-DW001', meterStart: 5_000_000 });
      await cp.meterValues({
        connectorId: 1,
        transactionId: started.transactionId,
        meterValue: [
          {
            timestamp: new Date().toISOString(),
            sampledValue: [
              { value: '5002000', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
              { value: '11000', measurand: 'Power.Active.Import', unit: 'W' },
            ],
          },
        ],
      });
      await t.csms.drain();
      let advice: any;
      for (let i = 0; i < 100; i++) {
        advice = (await get(t, '/ml/advice')).body;
        if (advice.result?.sessions?.[0]?.powerNowW === 11000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(advice).toMatchObject({ status: 'ok', model: 'regression', metric: { name: 'MAE energy (kWh)' } });
      const s = advice.result.sessions[0];
      expect(s).toMatchObject({ transactionId: started.transactionId, chargePointId: 'SYN-CP-1', powerNowW: 11000, throttleable: true });
      expect(s.suggestedLimitW).toBeLessThan(11000);
      expect(s.reason).toMatch(/kWh still expected in/);
    } finally {
      await cp.close();
    }
  });

  it('caps a live session through the core load management when the operator enables it', async () => {
    // A second CSMS on the same database, with the advice applied to load management.
    await t.close();
    t = await createTestCsms({ databaseUrl, plugins: [ml({ trainOnStart: false, intervalMinutes: 0, timeZone: 'Asia/Jakarta', applyAdviceToLoadManagement: true })], apiAdminKey: KEY });
    const cp = new FakeChargePoint({ url: t.ocppUrlFor('SYN-CP-2'), identity: 'SYN-CP-2' });
    const limits: number[] = [];
    cp.handle('SetChargingProfile', (params: { csChargingProfiles: { chargingProfilePurpose: string; chargingSchedule: { chargingSchedulePeriod: { limit: number }[] } } }) => {
      if (params.csChargingProfiles.chargingProfilePurpose === 'TxProfile') limits.push(params.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]!.limit);
      return { status: 'Accepted' };
    });
    cp.handle('ClearChargingProfile', () => ({ status: 'Accepted' }));
    await cp.connect();
    try {
      await cp.boot();
      await t.csms.services.get('idTags').ensure([{ idTag: 'SYN-DW002' }], 'test');
      await t.csms.services.get('settings').set('site', { maxGridPowerKw: 40, minPowerPerConnectorKw: 1.4, defaultChargePointMaxKw: 22 });
      const started = await cp.startTransaction({ connectorId: 1, idTag: 'SYN-DW002', meterStart: 1_000 });
      await t.csms.drain();
      const lm = t.csms.services.get('loadManagement');
      await lm.settled();
      let allocation = (await lm.status()).allocations.find((a) => a.transactionId === started.transactionId);
      // Models reloaded from the database: the daytime worker needs far less than the charger's 22 kW.
      expect(allocation).toMatchObject({ reason: 'advised' });
      expect(allocation!.limitKw).toBeLessThan(11);
      expect(allocation!.limitKw).toBeGreaterThanOrEqual(1.4);
      const caps = t.csms.services.get('ml').loadManagementCaps([{ transactionId: started.transactionId, chargePointId: 'SYN-CP-2', connectorId: 1, idTag: 'SYN-DW002', startedAt: new Date() }]);
      expect(caps.get(started.transactionId)).toBeCloseTo(allocation!.limitKw, 1);
      for (let i = 0; i < 100 && limits.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(limits.length).toBeGreaterThan(0);
      await cp.stopTransaction({ transactionId: started.transactionId, meterStop: 3_000 });
    } finally {
      await cp.close();
    }
  });

  it('persists models and metrics and reloads them at the next start', async () => {
    const before = t.csms.services.get('ml').forecast();
    await t.close();
    t = await createTestCsms({ databaseUrl, plugins: [ml({ trainOnStart: false, intervalMinutes: 0, timeZone: 'Asia/Jakarta' })], apiAdminKey: KEY });
    const status = (await get(t, '/ml/status')).body;
    expect(status.state).toBe('idle');
    expect(status.lastRun).toMatchObject({ status: 'ok' });
    expect(status.models.segments).toMatchObject({ status: 'ok', metric: { name: 'silhouette' } });
    const after = t.csms.services.get('ml').forecast();
    expect(after.status).toBe('ok');
    if (after.status === 'ok' && before.status === 'ok') expect(after.metric).toEqual(before.metric);
    // The anomaly model reloaded from the database scores a new session.
    expect(t.csms.services.get('ml').sessionAnomalies({ limit: 3 })).toMatchObject({ status: 'ok' });
  });

  it('counts a session still running in the training data of the load series', async () => {
    const cp = new FakeChargePoint({ url: t.ocppUrlFor('SYN-CP-1'), identity: 'SYN-CP-1' });
    await cp.connect();
    try {
      await cp.boot();
      await t.csms.services.get('idTags').ensure([{ idTag: 'SYN-EC001' }], 'test');
      const started = await cp.startTransaction({ connectorId: 2, idTag: 'SYN-EC001', meterStart: 0, timestamp: new Date(Date.now() - 3 * 3_600_000).toISOString() });
      await cp.meterValues({ connectorId: 2, transactionId: started.transactionId, energyWh: 9000 });
      await t.csms.drain();
      const data = await t.csms.services.get('ml').collect();
      const running = data.running?.find((r) => r.id === -started.transactionId);
      expect(running).toMatchObject({ chargePointId: 'SYN-CP-1', connectorId: 2, stoppedAt: data.to, flags: ['running'] });
      // Energy so far, pro rata up to the last full hour.
      expect(running!.energyWh).toBeGreaterThan(5000);
      expect(running!.energyWh).toBeLessThanOrEqual(9000);
      expect(data.sessions.some((s) => s.id === started.transactionId)).toBe(false);
    } finally {
      await cp.close();
    }
  });
});
