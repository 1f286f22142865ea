import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCsmsError, type LiveStateService } from '../src/index.js';
import { createTestCsms, FakeChargePoint, waitForLive, type TestCsms } from '../src/testing/index.js';
import { testDatabases, type TestDatabase } from './support/databases.js';
import { SseClient } from './support/sse-client.js';

const adminKey = `boot-${randomBytes(24).toString('hex')}`;
const IDTAG_1 = 'DRIVER-ONE-1234';
const IDTAG_2 = 'DRIVER-TWO-9876';

/** Bounded poll for a condition that has no event (e.g. the server noticing a closed client). */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(testDatabases())('live REST and SSE on $name', (db) => {
  let database: TestDatabase;
  let server: TestCsms;
  let cp: FakeChargePoint;
  const streams: SseClient[] = [];
  const live = (): LiveStateService & { subscriberCount: number } => server.csms.services.get('live') as never;
  const get = (path: string, key: string | null = adminKey) => fetch(`${server.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const stream = async (path: string, key: string = adminKey) => {
    const s = await SseClient.open(`${server.url}${path}`, { authorization: `Bearer ${key}` });
    streams.push(s);
    return s;
  };

  beforeEach(async () => {
    database = await db.create();
    server = await createTestCsms({
      databaseUrl: database.databaseUrl,
      apiAdminKey: adminKey,
      idTags: { [IDTAG_1]: 'Accepted' },
      chargePoints: ['CP-1'],
      live: { coalesceMs: 0, sseHeartbeatSeconds: 1 },
    });
    cp = new FakeChargePoint({ url: server.ocppUrlFor('CP-1'), identity: 'CP-1' });
    await cp.connect();
    await cp.boot();
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await cp.close();
    await server.close();
    await database.dispose();
  });

  it('GET /api/v1/live needs a key (viewer is enough) and returns the snapshot', async () => {
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: IDTAG_1, meterStart: 100 });
    await cp.meterValues({ connectorId: 1, transactionId, energyWh: 1_100 });
    await waitForLive(live(), (s) => s.chargePoints[0]?.connectors[0]?.session?.energyWh === 1_000);

    expect((await get('/api/v1/live', null)).status).toBe(401);
    const created = await fetch(`${server.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'wallboard', role: 'viewer' }),
    });
    const { key: viewerKey } = (await created.json()) as { key: string };
    const res = await get('/api/v1/live', viewerKey);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.site).toMatchObject({ sessionsRunning: 1, chargePointsOnline: 1 });
    expect(body.chargePoints[0]).toMatchObject({ id: 'CP-1', connected: true, registrationStatus: 'Accepted' });
    expect(body.chargePoints[0].connectors[0].session).toMatchObject({ transactionId, idTag: IDTAG_1, energyWh: 1_000 });

    const doc = (await (await get('/api/v1/openapi.json')).json()) as any;
    expect(doc.paths['/live'].get.description).toContain('Role: viewer');
    expect(doc.paths['/live/stream'].get.responses['200'].content).toHaveProperty('text/event-stream');
  });

  it('the SSE stream sends a snapshot first, then the changes; a reconnect gets a fresh snapshot; closing frees the subscription', async () => {
    const subscribersBefore = live().subscriberCount;
    const first = await stream('/api/v1/live/stream');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    const { message: snap } = await first.next((m) => m.event === 'snapshot');
    expect(first.messages[0]!.event).toBe('snapshot');
    expect(snap.data.chargePoints[0].connectors).toEqual([]);

    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: IDTAG_1, meterStart: 0 });
    await cp.meterValues({ connectorId: 1, transactionId, energyWh: 2_345 });
    const { message } = await first.next((m) => m.event === 'connector' && m.data.connector.session?.energyWh === 2_345);
    expect(message.data).toMatchObject({ type: 'connector', connector: { chargePointId: 'CP-1', connectorId: 1, session: { transactionId } } });
    expect(await first.nextComment()).toBe('heartbeat');

    first.close();
    await until(() => live().subscriberCount === subscribersBefore, 'the closed stream to unsubscribe');

    // The reconnect starts from the current truth, not from where the old stream stopped.
    const second = await stream('/api/v1/live/stream');
    const { message: fresh, index } = await second.next((m) => m.event === 'snapshot');
    expect(index).toBe(0);
    expect(fresh.data.chargePoints[0].connectors[0].session).toMatchObject({ transactionId, energyWh: 2_345 });
  });

  it('closing the CSMS ends the open streams (shutdown does not wait on them)', async () => {
    const open = await stream('/api/v1/live/stream');
    await open.next((m) => m.event === 'snapshot');
    await cp.close();
    await server.close();
    await until(() => open.ended, 'the stream to end');
  });
});

describe('public driver view', () => {
  let database: TestDatabase;
  let server: TestCsms | undefined;
  const cps: FakeChargePoint[] = [];
  const streams: SseClient[] = [];
  const live = (): LiveStateService => server!.csms.services.get('live');

  const start = async (options: Record<string, unknown> = {}, env: Record<string, string> = {}) => {
    database = await testDatabases()[0]!.create();
    server = await createTestCsms({
      databaseUrl: database.databaseUrl,
      idTags: { [IDTAG_1]: 'Accepted', [IDTAG_2]: 'Accepted' },
      chargePoints: ['CP-1'],
      env,
      live: { coalesceMs: 0 },
      ...options,
    });
    return server;
  };
  const chargePoint = async () => {
    const cp = new FakeChargePoint({ url: server!.ocppUrlFor('CP-1'), identity: 'CP-1' });
    cps.push(cp);
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Charging');
    await cp.status(2, 'Charging');
    const one = await cp.startTransaction({ connectorId: 1, idTag: IDTAG_1, meterStart: 0 });
    const two = await cp.startTransaction({ connectorId: 2, idTag: IDTAG_2, meterStart: 0 });
    await cp.meterValues({ connectorId: 1, transactionId: one.transactionId, energyWh: 1_000 });
    await cp.meterValues({ connectorId: 2, transactionId: two.transactionId, energyWh: 7_000 });
    await waitForLive(live(), () => live().connector('CP-1', 2)?.session?.energyWh === 7_000 && live().connector('CP-1', 1)?.session?.energyWh === 1_000);
    return { cp, one: one.transactionId, two: two.transactionId };
  };
  const url = (path: string) => `${server!.url}/public/v1/connectors/${path}`;

  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    for (const cp of cps.splice(0)) await cp.close();
    await server?.close();
    server = undefined;
    await database.dispose();
  });

  it('is off by default: 404', async () => {
    await start();
    await chargePoint();
    const res = await fetch(url('CP-1/1'));
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(IDTAG_1);
    expect((await fetch(url('CP-1/1/stream'))).status).toBe(404);
  });

  it('shows one connector with the idTag masked and nothing of the other connector (JSON and SSE)', async () => {
    await start({}, { CHARGE_IT_PUBLIC_LIVE: 'true' });
    const { cp, one, two } = await chargePoint();
    const res = await fetch(url('CP-1/1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const text = await res.text();
    for (const secret of [IDTAG_1, IDTAG_2, '7000', `"transactionId":${two}`]) expect(text).not.toContain(secret);
    const view = JSON.parse(text);
    expect(Object.keys(view).sort()).toEqual(['chargePointId', 'connectorId', 'lastSession', 'session', 'since', 'status']);
    expect(view).toMatchObject({ chargePointId: 'CP-1', connectorId: 1, status: 'Charging', lastSession: null });
    expect(view.session).toMatchObject({ transactionId: one, idTagMasked: 'DRIV•••••••••34', energyWh: 1_000 });
    expect(Object.keys(view.session)).not.toContain('idTag');

    expect((await fetch(url('CP-1/9'))).status).toBe(404);
    expect((await fetch(url('CP-1/abc'))).status).toBe(400);

    const s = await SseClient.open(url('CP-1/1/stream'));
    streams.push(s);
    const { message: firstView } = await s.next((m) => m.event === 'connector');
    expect(firstView.data.session.energyWh).toBe(1_000);
    // A change on connector 2, then one on connector 1: the stream only ever carries connector 1.
    await cp.meterValues({ connectorId: 2, transactionId: two, energyWh: 8_000 });
    await cp.meterValues({ connectorId: 1, transactionId: one, energyWh: 1_500 });
    await s.next((m) => m.data.session?.energyWh === 500 + 1_000);
    for (const m of s.messages) {
      expect(m.data).toMatchObject({ chargePointId: 'CP-1', connectorId: 1 });
      expect(JSON.stringify(m.data)).not.toContain(IDTAG_1);
      expect(JSON.stringify(m.data)).not.toContain(IDTAG_2);
    }
    // After the stop: the last session, masked.
    await cp.stopTransaction({ transactionId: one, meterStop: 2_000, reason: 'Local' });
    const { message: stopped } = await s.next((m) => m.data.session === null);
    expect(stopped.data.lastSession).toMatchObject({ transactionId: one, idTagMasked: 'DRIV•••••••••34', energyWh: 2_000 });
  });

  it('rate limits per IP with a clear 429', async () => {
    await start({ publicLive: true, live: { coalesceMs: 0, publicRateLimitPerMinute: 3 } });
    await chargePoint();
    for (let i = 0; i < 3; i++) expect((await fetch(url('CP-1/1'))).status).toBe(200);
    const limited = await fetch(url('CP-1/1'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await limited.json()) as any;
    expect(body.error.code).toBe('CSMS_ERR_RATE_LIMITED');
    expect(body.error.message).toMatch(/at most 3 per minute; retry in \d+ s/);
    // The REST API is not affected by the public limit.
    expect((await fetch(`${server!.url}/health`)).status).toBe(200);
  });

  it('CORS: only the configured origins, * for any; a bad origin fails the start', async () => {
    await start({ publicLive: true, live: { coalesceMs: 0, publicCorsOrigins: 'https://driver.example.id, http://10.0.0.5:8080' } });
    await chargePoint();
    const allowed = await fetch(url('CP-1/1'), { headers: { origin: 'https://driver.example.id' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://driver.example.id');
    expect(allowed.headers.get('vary')).toContain('Origin');
    const other = await fetch(url('CP-1/1'), { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const s = await SseClient.open(url('CP-1/1/stream'), { origin: 'http://10.0.0.5:8080' });
    streams.push(s);
    expect(s.headers.get('access-control-allow-origin')).toBe('http://10.0.0.5:8080');
    await server!.close();
    server = undefined;
    await database.dispose();

    await start({}, { CHARGE_IT_PUBLIC_LIVE: '1', CHARGE_IT_LIVE_PUBLIC_CORS_ORIGINS: '*' });
    expect((await fetch(url('CP-1/0'), { headers: { origin: 'https://x.example' } })).status).toBe(404);
    await chargePoint();
    expect((await fetch(url('CP-1/1'), { headers: { origin: 'https://x.example' } })).headers.get('access-control-allow-origin')).toBe('*');
    await server!.close();
    server = undefined;
    for (const cp of cps.splice(0)) await cp.close();
    await database.dispose();

    database = await testDatabases()[0]!.create();
    const failed = await createTestCsms({ databaseUrl: database.databaseUrl, env: { CHARGE_IT_PUBLIC_LIVE: 'true', CHARGE_IT_LIVE_PUBLIC_CORS_ORIGINS: 'driver.example.id' } }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(isCsmsError(failed) && failed.code).toBe('CSMS_ERR_CONFIG_INVALID');
    expect(String((failed as Error).message)).toContain('CHARGE_IT_LIVE_PUBLIC_CORS_ORIGINS');
  });
});
