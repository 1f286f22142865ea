/**
 * GET /metrics (Prometheus text format, prom-client) end to end: real charge points over real
 * websockets, real REST commands, a real database; the scrape shows the traffic. Protected by an API
 * key with the viewer role on the main port, or key-less on a port of its own (`metrics.port`).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { definePlugin } from '../src/plugin.js';
import { FakeChargePoint } from '../src/testing/index.js';
import { startApi, type ApiHarness } from './api-fixtures.js';
import { callErrorCode, closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

/** The value of one sample of the exposition (`name{a="x",b="y"} 3`), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(api: ApiHarness, key: string | null = api.adminKey): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${api.h.server.url}/metrics`, key === null ? {} : { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

async function refused(cp: FakeChargePoint): Promise<void> {
  await expect(cp.connect()).rejects.toThrow();
}

describe.each(testDatabases())('GET /metrics on $name', (db) => {
  it('counts connections, refused handshakes, calls, CALLERRORs, commands, batches, hook failures and database errors', async () => {
    const failing = definePlugin({
      name: 'failing-observer',
      hooks: {
        onStatusNotification() {
          throw new Error('this plugin always fails');
        },
      },
    });
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'], plugins: [failing] });
    const viewer = await api.keyFor('viewer');

    const before = await scrape(api, viewer);
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(before.text, 'chargeit_charge_points_connected')).toBe(0);

    // Traffic: two chargers connect and talk; refused handshakes of three kinds.
    const cp1 = await api.h.connect('CP-1');
    await cp1.boot();
    await cp1.status(1, 'Available');
    await cp1.heartbeat();
    await cp1.heartbeat();
    const cp2 = await api.h.connect('CP-2', { strictMode: false });
    await cp2.boot();
    expect(await callErrorCode(cp2.client.call('NoSuchAction', {}))).toBe('NotImplemented');
    expect(await callErrorCode(cp2.client.call('Heartbeat', { unexpected: true }))).toBe('FormationViolation');

    await refused(new FakeChargePoint({ url: api.h.server.ocppUrlFor('NOBODY'), identity: 'NOBODY' }));
    const registered = await api.call('POST', '/charge-points', { body: { id: 'CP-SECURE', securityProfile: 1 } });
    expect(registered.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      await refused(new FakeChargePoint({ url: api.h.server.ocppUrlFor('CP-SECURE'), identity: 'CP-SECURE', password: 'wrong-password-123' }));
    }

    // Commands through the REST API: one answered, one to an offline charger.
    cp1.handle('Reset', () => ({ status: 'Accepted' }));
    expect((await api.call('POST', '/charge-points/CP-1/commands/Reset', { body: { type: 'Soft' } })).status).toBe(200);
    expect((await api.call('POST', '/charge-points/CP-SECURE/commands/Reset', { body: { type: 'Soft' } })).status).toBe(409);

    // A real database error through the group commit (a statement the database refuses).
    const batcher = api.h.server.csms.services.get('batcher');
    await expect(batcher.run((em) => em.getConnection().execute('insert into no_such_table (x) values (1)', [], 'run', em.getTransactionContext()))).rejects.toThrow();
    await api.h.server.csms.drain();

    const after = await scrape(api, viewer);
    const t = after.text;
    expect(sample(t, 'chargeit_charge_points_connected')).toBe(2);
    expect(sample(t, 'chargeit_ocpp_calls_total', { action: 'BootNotification', outcome: 'ok' })).toBe(2);
    expect(sample(t, 'chargeit_ocpp_calls_total', { action: 'Heartbeat', outcome: 'ok' })).toBe(2);
    expect(sample(t, 'chargeit_ocpp_calls_total', { action: 'StatusNotification', outcome: 'ok' })).toBe(1);
    expect(sample(t, 'chargeit_ocpp_callerrors_sent_total', { code: 'NotImplemented' })).toBe(1);
    expect(sample(t, 'chargeit_ocpp_callerrors_sent_total', { code: 'FormationViolation' })).toBe(1);
    expect(sample(t, 'chargeit_ocpp_handshakes_refused_total', { reason: 'unknown-charge-point', status: '404' })).toBe(1);
    expect(sample(t, 'chargeit_ocpp_handshakes_refused_total', { reason: 'bad-credentials', status: '401' })).toBe(3);
    expect(sample(t, 'chargeit_commands_total', { action: 'Reset', result: 'accepted' })).toBe(1);
    expect(sample(t, 'chargeit_commands_total', { action: 'Reset', result: 'offline' })).toBe(1);
    expect(sample(t, 'chargeit_hook_failures_total', { hook: 'onStatusNotification' })).toBe(1);
    expect(sample(t, 'chargeit_hook_queue_depth')).toBe(0);
    expect(sample(t, 'chargeit_db_errors_total', { operation: 'batch' })).toBe(1);
    // Group commit: every committed batch observed (boots, statuses, audit rows, the API key...).
    const batches = sample(t, 'chargeit_db_batch_size_count')!;
    expect(batches).toBeGreaterThanOrEqual(5);
    expect(sample(t, 'chargeit_db_batch_size_sum')).toBeGreaterThanOrEqual(batches);
    expect(sample(t, 'chargeit_db_batch_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(5);
    expect(sample(t, 'chargeit_db_batch_duration_seconds_count', { outcome: 'error' })).toBe(1);
    expect(sample(t, 'chargeit_event_loop_delay_seconds', { quantile: '0.99' })).toBeGreaterThanOrEqual(0);
    expect(sample(t, 'process_resident_memory_bytes') ?? sample(t, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    // A charger leaves: the gauge follows.
    await cp2.close();
    for (let i = 0; i < 200 && api.h.server.csms.sessions.size > 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect(sample((await scrape(api, viewer)).text, 'chargeit_charge_points_connected')).toBe(1);
  });

  it('needs an API key on the main port (401 without, 401 with a wrong one)', async () => {
    const api = await startApi(db);
    const none = await scrape(api, null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error.code).toBe('CSMS_ERR_UNAUTHORIZED');
    expect((await scrape(api, 'cit_000000000000_nope')).status).toBe(401);
    expect((await scrape(api, api.adminKey)).status).toBe(200);
  });
});

describe('GET /metrics on a port of its own', () => {
  it('serves /metrics without a key on metrics.port and not on the main port', async () => {
    const [sqlite] = testDatabases();
    const api = await startApi(sqlite!, { metrics: { port: 0 } });
    const url = api.h.server.metricsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(url!);
    expect(response.status).toBe(200);
    expect(sample(await response.text(), 'chargeit_charge_points_connected')).toBe(0);
    expect((await fetch(url!.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(`${api.h.server.url}/metrics`, { headers: { authorization: `Bearer ${api.adminKey}` } })).status).toBe(404);
  });

  it('takes the port from CHARGE_IT_METRICS_PORT', async () => {
    const { resolveConfig } = await import('../src/config/index.js');
    expect(resolveConfig({}, { CHARGE_IT_METRICS_PORT: '9464' }).metrics).toEqual({ enabled: true, port: 9464, host: '127.0.0.1' });
    expect(() => resolveConfig({}, { CHARGE_IT_METRICS_PORT: 'x' })).toThrow(/CHARGE_IT_METRICS_PORT/);
  });
});

describe('examples/spklu/monitoring', () => {
  const dir = new URL('../../../examples/spklu/monitoring/', import.meta.url);

  it('has Prometheus alert rules that parse as YAML and use metrics the core exports', () => {
    const rules = parseYaml(readFileSync(new URL('alert-rules.yml', dir), 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert)).toEqual(expect.arrayContaining(['ChargerOffline', 'ReconnectStorm', 'AuthFlood', 'DatabaseErrors']));
    const source = readFileSync(new URL('../src/observability/metrics.ts', import.meta.url), 'utf8');
    for (const a of alerts) {
      for (const [, name] of a.expr.matchAll(/\bchargeit_([a-z_]+?)(?:_bucket|_count|_sum)?\b/g)) {
        expect(source, `${a.alert} uses chargeit_${name}`).toContain(`\${p}${name}`);
      }
    }
  });

  it('has a Grafana dashboard whose panels query the core metrics', () => {
    const dashboard = JSON.parse(readFileSync(new URL('grafana-dashboard.json', dir), 'utf8')) as { title: string; panels: { targets?: { expr: string }[] }[] };
    expect(dashboard.title).toMatch(/Charge-IT/);
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    expect(exprs.join('\n')).toContain('chargeit_charge_points_connected');
  });
});
