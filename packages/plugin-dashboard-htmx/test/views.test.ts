import { FakeChargePoint } from '@charge-it/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases, type TestDatabase } from '@charge-it/core/testing';
import { startHarness, type Client, type Harness } from './support/harness.js';

describe.each(testDatabases().map((k) => [k.name, k] as const))('every view renders from real data; GET changes nothing (%s)', (_name, kind) => {
  let db: TestDatabase;
  let h: Harness;
  let admin: Client;
  let cp: FakeChargePoint;
  let txId: number;

  beforeAll(async () => {
    db = await kind.create();
    h = await startHarness({ csms: { databaseUrl: db.databaseUrl, chargePoints: ['CP-1'], idTags: { 'TAG-<b>1</b>': 'Accepted', 'DEMO-123': 'Accepted' } } });
    admin = await h.login();
    cp = new FakeChargePoint({ url: h.t.ocppUrlFor('CP-1'), identity: 'CP-1' });
    await cp.connect();
    await cp.boot({ firmwareVersion: '<script>alert(1)</script>', chargePointModel: 'Model "X"' });
    await cp.status(1, 'Available');
    await cp.status(2, 'Faulted', 'GroundFailure');
    const started = await cp.startTransaction({ connectorId: 1, idTag: 'DEMO-123', meterStart: 1000 });
    txId = started.transactionId;
    await cp.status(1, 'Charging');
    const now = Date.now();
    await cp.meterValues({ connectorId: 1, transactionId: txId, meterValue: [
      { timestamp: new Date(now - 60_000).toISOString(), sampledValue: [{ value: '1500', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }, { value: '7200', measurand: 'Power.Active.Import', unit: 'W' }, { value: '41', measurand: 'SoC', unit: 'Percent' }] },
      { timestamp: new Date(now).toISOString(), sampledValue: [{ value: '1620', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }, { value: '7100', measurand: 'Power.Active.Import', unit: 'W' }, { value: '42', measurand: 'SoC', unit: 'Percent' }] },
    ] });
    await h.t.csms.drain();
  });
  afterAll(async () => {
    await cp?.close();
    await h?.close();
    await db?.dispose();
  });

  it('Dashboard: KPIs, running session, status summary, chart source, SSE link', async () => {
    const res = await admin.get('/dashboard/', { 'accept-language': 'en' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('id="site-kpis"');
    expect(res.body).toContain('data-chart="site-power"');
    expect(res.body).toContain('sse-connect="/dashboard/events?view=dashboard"');
    expect(res.body).toContain(`/dashboard/transactions/${txId}`);
    expect(res.body).toMatch(/7[.,]1 kW/);
    const json = await admin.get('/dashboard/data/site-power.json');
    expect(json.statusCode).toBe(200);
    const data = json.json() as { points: [number, number][]; gridLimitW: number | null };
    expect(data.points.at(-1)![1]).toBe(7100);
  });

  it('the event feed lists boots, faults, starts and refused cards', async () => {
    await cp.authorize('NOT-A-CARD');
    await h.t.csms.drain();
    const res = await admin.get('/dashboard/', { 'accept-language': 'en' });
    const feed = res.body.slice(res.body.indexOf('id="feed-list"'));
    expect(feed).toMatch(/refused card <span class="mono">NOT-A-CARD<\/span> \(Invalid\)/);
    expect(feed).toContain('booted');
    expect(feed).toContain('reported a fault');
    expect(feed).toContain('started session');
  });

  it('Stations list and detail escape charger-supplied strings', async () => {
    const list = await admin.get('/dashboard/stations');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('CP-1');
    expect(list.body).not.toContain('<script>alert(1)</script>');
    expect(list.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const detail = await admin.get('/dashboard/stations/CP-1');
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('GroundFailure');
    expect(detail.body).toContain('Model &quot;X&quot;');
    expect(detail.body).toContain('id="cmd-reset"');
    expect((await admin.get('/dashboard/stations/NOPE')).statusCode).toBe(404);
    expect((await admin.get('/dashboard/stations/new')).statusCode).toBe(200);
  });

  it('Transactions: list, filter, sort, paginate, CSV export, detail with series and cost', async () => {
    const list = await admin.get('/dashboard/transactions?status=Active&sort=energyWh&order=asc');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/dashboard/transactions/${txId}`);
    expect(list.body).toMatch(/0[.,]62 kWh/); // a running session shows its energy so far (live state), not a blank
    const none = await admin.get('/dashboard/transactions?idTag=NOBODY');
    expect(none.body).not.toContain(`/dashboard/transactions/${txId}"`);
    const bad = await admin.get('/dashboard/transactions?from=31-12-2026', { 'accept-language': 'en' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toMatch(/field invalid[\s\S]*must be a date/);
    const csv = await admin.get('/dashboard/transactions.csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe('id,chargePointId,connectorId,idTag,status,startedAt,stoppedAt,meterStartWh,meterStopWh,energyWh,costIdr,stopReason,flags');
    expect(csv.body).toContain(`${txId},CP-1,1,DEMO-123,Active`);
    const detail = await admin.get(`/dashboard/transactions/${txId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('data-chart="meter-curves"');
    expect(detail.body).toContain('id="tx-live"');
    const series = (await admin.get(`/dashboard/transactions/${txId}/series.json`)).json() as { x: number[]; powerKw: (number | null)[]; energyKwh: (number | null)[]; socPercent: (number | null)[] };
    expect(series.x).toHaveLength(2);
    expect(series.powerKw).toEqual([7.2, 7.1]);
    expect(series.energyKwh).toEqual([0.5, 0.62]);
    expect(series.socPercent).toEqual([41, 42]);
    expect((await admin.get('/dashboard/transactions/999999')).statusCode).toBe(404);
  });

  it('AI Insights without the ML plugin: a clear empty state and no numbers', async () => {
    const res = await admin.get('/dashboard/insights', { 'accept-language': 'en' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('The ML plugin is not installed');
  });

  it('Settings tabs and the audit log render', async () => {
    for (const url of ['/dashboard/settings', '/dashboard/settings/cards', '/dashboard/settings/users', '/dashboard/settings/api-keys', '/dashboard/audit']) {
      const res = await admin.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
    const cards = await admin.get('/dashboard/settings/cards');
    expect(cards.body).toContain('TAG-&lt;b&gt;1&lt;/b&gt;');
    expect(cards.body).not.toContain('TAG-<b>1</b>');
  });

  it('GET requests have no side effects (audit log and settings unchanged)', async () => {
    const queries = h.t.csms.services.get('queries');
    const before = (await queries.auditLog({ limit: 1 })).total;
    const settingsBefore = await h.t.csms.services.get('settings').all();
    const urls = ['/dashboard/', '/dashboard/stations', '/dashboard/stations/CP-1', '/dashboard/stations/new', '/dashboard/transactions', '/dashboard/transactions.csv',
      `/dashboard/transactions/${txId}`, `/dashboard/transactions/${txId}/series.json`, '/dashboard/insights', '/dashboard/settings', '/dashboard/settings/cards',
      '/dashboard/settings/users', '/dashboard/settings/api-keys', '/dashboard/audit', '/dashboard/data/site-power.json',
      // state-changing paths reached by GET do nothing either
      '/dashboard/settings/tariff', '/dashboard/stations/CP-1/commands/reset', '/dashboard/logout'];
    for (const url of urls) await admin.get(url);
    expect((await queries.auditLog({ limit: 1 })).total).toBe(before);
    expect(await h.t.csms.services.get('settings').all()).toEqual(settingsBefore);
    expect((await admin.get('/dashboard/settings')).statusCode).toBe(200); // still signed in
  });

  it('serves the assets from the package and npm (no CDN): htmx, SSE extension, uPlot, CSS, JS', async () => {
    for (const url of ['/dashboard/vendor/htmx.min.js', '/dashboard/vendor/sse.min.js', '/dashboard/vendor/uPlot.iife.min.js', '/dashboard/vendor/uPlot.min.css', '/dashboard/assets/app.css', '/dashboard/assets/app.js', '/dashboard/assets/charts.js']) {
      const res = await h.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body.length).toBeGreaterThan(500);
    }
    expect((await admin.get('/dashboard/vendor/package.json')).statusCode).toBe(404);
    const page = await admin.get('/dashboard/');
    expect(page.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('charger-supplied strings (idTag, info, vendorErrorCode) are escaped in every view', async () => {
    const hostileTag = '"><i>x</i>';
    await cp.call('StatusNotification', { connectorId: 2, status: 'Faulted', errorCode: 'OtherError', info: '<img src=x onerror=alert(1)>', vendorErrorCode: '<b>E42</b>', timestamp: new Date().toISOString() });
    const started = await cp.startTransaction({ connectorId: 2, idTag: hostileTag, meterStart: 0 });
    await h.t.csms.drain();
    for (const url of ['/dashboard/', '/dashboard/stations/CP-1', '/dashboard/transactions', `/dashboard/transactions/${started.transactionId}`]) {
      const res = await admin.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain('<i>x</i>');
      expect(res.body, url).not.toContain('<img src=x');
      expect(res.body, url).not.toContain('<b>E42</b>');
    }
    const detail = await admin.get('/dashboard/stations/CP-1');
    expect(detail.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(detail.body).toContain('&lt;b&gt;E42&lt;/b&gt;');
    expect((await admin.get('/dashboard/transactions')).body).toContain('&quot;&gt;&lt;i&gt;x&lt;/i&gt;');
  });

  it('the live stream (SSE): signed-in only; first message re-renders the page’s live parts; changes follow as htmx out-of-band swaps', async () => {
    const anonymous = await fetch(`${h.t.url}/dashboard/events?view=dashboard`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const controller = new AbortController();
    const watcher = await h.login(); // a session of its own: it is logged out below
    const res = await fetch(`${h.t.url}/dashboard/events?view=station:CP-1`, { headers: { cookie: watcher.cookie, 'accept-language': 'en' }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextMessage = async (): Promise<string> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!message.startsWith(':')) return message;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const first = await nextMessage();
    expect(first.startsWith('event: update\ndata: ')).toBe(true);
    expect(first).toContain('id="station-connectors" hx-swap-oob="true"');
    expect(first).toContain('id="station-live" hx-swap-oob="true"');
    await cp.status(2, 'Unavailable', 'NoError');
    let update = '';
    for (let i = 0; i < 20 && !update.includes('Unavailable'); i++) update = await nextMessage();
    expect(update).toContain('Unavailable');
    // Logging out ends the session's live stream at once (no more data to a signed-out browser).
    expect((await watcher.post('/dashboard/logout', {})).statusCode).toBe(303);
    let ended = false;
    try {
      for (let i = 0; i < 50 && !ended; i++) await nextMessage();
    } catch (err) {
      ended = (err as Error).message === 'stream ended';
    }
    expect(ended).toBe(true);
    controller.abort();
  });
});
