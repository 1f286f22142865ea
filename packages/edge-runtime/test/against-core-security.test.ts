import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import { FakeChargePoint, type TestCsms } from '@charge-it/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EdgeConfig } from '../src/config/edge-config.js';
import { createChargePoint, type ChargePointHandle } from '../src/create-charge-point.js';
import { edgeConfig, pollUntil, startCore } from './support/core-harness.js';
import { FakeMeter } from './support/fake-meter.js';
import { removeDir, tempDir } from './support/test-charge-point.js';

/* Security on the charge point against the real core in-process (real websockets, SQLite file):
 * AuthorizationKey rotation (security whitepaper A01) through the core's REST rotate-key, the
 * fallback to the old key when the new one is refused at the handshake, and
 * SecurityEventNotification stored by the core (also when queued while the core was down). */

interface SecurityEventRow {
  chargePointId: string;
  kind: string;
  status: string | null;
  critical: boolean;
  timestamp: string | null;
  techInfo: string | null;
  receivedAt: string;
}

describe('edge runtime against the real core: security (A01 key rotation, security events)', () => {
  let dir: string;
  let server: TestCsms;
  let adminKey: string;
  let cp: ChargePointHandle | undefined;
  let onlineCount: number;

  beforeEach(() => {
    dir = tempDir();
    adminKey = `boot-${randomBytes(24).toString('hex')}`;
    onlineCount = 0;
  });

  afterEach(async () => {
    await cp?.stop();
    cp = undefined;
    await server?.close();
    removeDir(dir);
  });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  const securityEvents = async (): Promise<SecurityEventRow[]> => {
    const res = await api('GET', '/security-events?chargePointId=CP-1&kind=SecurityEventNotification&limit=100');
    expect(res.status).toBe(200);
    return res.body.items as SecurityEventRow[];
  };
  const eventTypes = async (): Promise<string[]> => (await securityEvents()).map((e) => String(e.status));

  const config = (password?: string, overrides: Partial<EdgeConfig> = {}): EdgeConfig =>
    edgeConfig(server.ocppUrl, join(dir, 'edge'), { ...(password ? { password } : {}), ...overrides });

  async function startEdge(password?: string): Promise<ChargePointHandle> {
    cp = await createChargePoint(config(password), { log: silentLogger, meterFactory: () => new FakeMeter() });
    cp.on('online', () => onlineCount++);
    await cp.start();
    return cp;
  }

  async function stopEdge(): Promise<void> {
    await cp?.stop();
    cp = undefined;
  }

  const credentials = (): { key: string | null; previousKey: string | null } => JSON.parse(readFileSync(join(dir, 'edge', 'credentials.json'), 'utf8'));

  /** Registers CP-1 at security profile 1 through REST; returns its first key. */
  async function register(): Promise<string> {
    const res = await api('POST', '/charge-points', { id: 'CP-1', securityProfile: 1 });
    expect(res.status).toBe(201);
    return res.body.authKey as string;
  }

  /** Whether the core admits CP-1 with `password` right now (a real handshake, closed at once). */
  async function coreAdmits(password: string): Promise<boolean> {
    const probe = new FakeChargePoint({ url: server.ocppUrlFor('CP-1'), identity: 'CP-1', password });
    try {
      await probe.connect();
      await probe.close();
      return true;
    } catch {
      return false;
    }
  }

  it('A01: REST rotate-key sends ChangeConfiguration AuthorizationKey; the edge stores it, reconnects with it, and keeps it after a restart', async () => {
    server = await startCore(dir, { apiAdminKey: adminKey });
    const oldKey = await register();
    const edge = await startEdge(oldKey);
    await pollUntil(() => edge.state.boot === 'Accepted', 'boot Accepted with the registered key');
    const onlineBefore = onlineCount;

    const rotated = await api('POST', '/charge-points/CP-1/rotate-key');
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.authKey as string;
    expect(newKey).not.toBe(oldKey);
    // Stored before Accepted went out; the edge then closes the link and reconnects with it.
    expect(credentials().key).toBe(newKey);
    await pollUntil(() => onlineCount > onlineBefore && edge.state.boot === 'Accepted', 'a new connection after the rotation');
    // Write-only: GetConfiguration names it but never shows the value.
    const session = server.csms.sessions.get('CP-1');
    const conf = (await session!.client.call('GetConfiguration', { key: ['AuthorizationKey'] })) as { configurationKey: Array<{ key: string; value?: string }> };
    expect(conf.configurationKey).toEqual([{ key: 'AuthorizationKey', readonly: false }]);
    await stopEdge();

    expect(await coreAdmits(oldKey)).toBe(false);
    // The edge config still says the old key: the rotated key on disk wins.
    const again = await startEdge(oldKey);
    await pollUntil(() => again.state.boot === 'Accepted', 'boot Accepted after a restart, with the rotated key');
    expect(credentials()).toMatchObject({ key: newKey, previousKey: null });
    await pollUntil(async () => (await eventTypes()).filter((t) => t === 'StartupOfTheDevice').length >= 2, 'StartupOfTheDevice of both runs stored by the core');
    const types = await eventTypes();
    expect(types.filter((t) => t === 'StartupOfTheDevice')).toHaveLength(2);
    expect(types.filter((t) => t === 'ReconfigurationOfSecurityParameters')).toHaveLength(1);
  });

  it('A01: a new key the central system never stored is refused at the handshake; the edge falls back to the old key and is not locked out', async () => {
    server = await startCore(dir, { apiAdminKey: adminKey });
    const oldKey = await register();
    const edge = await startEdge(oldKey);
    await pollUntil(() => edge.state.boot === 'Accepted', 'boot Accepted');
    const onlineBefore = onlineCount;

    // A half-finished rotation: the charger gets the key, the central system never commits it
    // (sent on the raw session, past the command service that would store it).
    const lostKey = randomBytes(20).toString('hex');
    const answer = await server.csms.sessions.get('CP-1')!.client.call('ChangeConfiguration', { key: 'AuthorizationKey', value: lostKey });
    expect(answer).toEqual({ status: 'Accepted' });
    await pollUntil(() => onlineCount > onlineBefore && edge.state.boot === 'Accepted', 'reconnected (with the old key) after the new one was refused');
    expect(credentials()).toEqual(expect.objectContaining({ key: lostKey, previousKey: oldKey }));
    await pollUntil(async () => (await eventTypes()).includes('FailedToAuthenticateAtCentralSystem'), 'FailedToAuthenticateAtCentralSystem stored by the core');

    // A restart while the rotation is unfinished still gets in (new key refused, old one works).
    await stopEdge();
    const restarted = await startEdge(oldKey);
    await pollUntil(() => restarted.state.boot === 'Accepted', 'boot Accepted after a restart with the rotation unfinished');

    // A proper rotation afterwards completes: the old key is forgotten only once the new one worked.
    const rotated = await api('POST', '/charge-points/CP-1/rotate-key');
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.authKey as string;
    await stopEdge();
    const last = await startEdge(oldKey);
    await pollUntil(() => last.state.boot === 'Accepted', 'boot Accepted with the completed rotation');
    expect(credentials()).toMatchObject({ key: newKey, previousKey: null });
    expect(await coreAdmits(oldKey)).toBe(false);
  });

  it('rejects an AuthorizationKey outside 16–40 printable characters and keeps the old key', async () => {
    server = await startCore(dir, { apiAdminKey: adminKey });
    const oldKey = await register();
    const edge = await startEdge(oldKey);
    await pollUntil(() => edge.state.boot === 'Accepted', 'boot Accepted');
    const client = server.csms.sessions.get('CP-1')!.client;
    for (const value of ['short', 'x'.repeat(41), 'with space inside the key']) {
      expect(await client.call('ChangeConfiguration', { key: 'AuthorizationKey', value })).toEqual({ status: 'Rejected' });
    }
    await stopEdge();
    const again = await startEdge(oldKey);
    await pollUntil(() => again.state.boot === 'Accepted', 'boot Accepted with the unchanged key');
  });

  it('security events raised while the core is down are queued durably and stored once it is back (startup, Reset)', async () => {
    server = await startCore(dir, { apiAdminKey: adminKey, chargePoints: ['CP-1'] });
    const port = server.port;
    const edge = await startEdge();
    await pollUntil(() => edge.state.boot === 'Accepted', 'boot Accepted');
    await pollUntil(async () => (await eventTypes()).includes('StartupOfTheDevice'), 'StartupOfTheDevice stored');

    // Reset from the core; the host restarts the runtime as the CLI does (stop, start a new handle).
    let restarted: Promise<ChargePointHandle> | undefined;
    edge.on('reset', () => {
      restarted = (async () => {
        await stopEdge();
        return startEdge();
      })();
    });
    const reset = await server.csms.services.get('commands').for('CP-1').reset({ type: 'Hard' });
    expect(reset.status).toBe('Accepted');
    await pollUntil(() => restarted !== undefined, 'the reset event');
    const afterReset = await restarted!;
    await pollUntil(() => afterReset.state.boot === 'Accepted', 'boot Accepted after the reset');
    await pollUntil(async () => (await eventTypes()).includes('ResetOrReboot'), 'ResetOrReboot stored');
    expect((await securityEvents()).find((e) => e.status === 'ResetOrReboot')).toMatchObject({ critical: true, techInfo: 'Reboot: Reset Hard by the central system' });

    // Core down; the edge restarts (a power cut) while it cannot reach the core.
    await stopEdge();
    await server.close();
    const offline = await createChargePoint(config(), { log: silentLogger, meterFactory: () => new FakeMeter() });
    cp = offline;
    await offline.start();
    const journal = readFileSync(join(dir, 'edge', 'security-events.jsonl'), 'utf8');
    expect(journal).toContain('"StartupOfTheDevice"');
    await stopEdge();

    // Back up: the queued event (from the run that never reached the core) and the new run's are delivered.
    server = await startCore(dir, { apiAdminKey: adminKey, port });
    const back = await startEdge();
    await pollUntil(() => back.state.boot === 'Accepted', 'boot Accepted after the outage');
    await pollUntil(async () => (await eventTypes()).filter((t) => t === 'StartupOfTheDevice').length >= 3, 'the queued StartupOfTheDevice stored');
    const events = await securityEvents();
    const startups = events.filter((e) => e.status === 'StartupOfTheDevice');
    expect(startups).toHaveLength(3);
    expect(startups.every((e) => e.critical)).toBe(true);
    expect(startups.map((e) => e.techInfo)).toEqual(expect.arrayContaining(['Reboot: restart after a clean stop']));
    expect(events.filter((e) => e.status === 'ResetOrReboot')).toHaveLength(1);
  });

  it('a wss:// server whose certificate does not verify against caFile: InvalidCentralSystemCertificate queued once per outage, stored by the core later', async () => {
    server = await startCore(dir, { apiAdminKey: adminKey, chargePoints: ['CP-1'] });
    // Two unrelated self-signed certificates: the server shows one, the charge point trusts the other.
    const selfSigned = (name: string): { key: string; cert: string } => {
      const key = join(dir, `${name}.key`);
      const cert = join(dir, `${name}.crt`);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      return { key, cert };
    };
    const shown = selfSigned('impostor');
    const trusted = selfSigned('trusted');
    let handshakes = 0;
    const impostor = createHttpsServer({ key: readFileSync(shown.key), cert: readFileSync(shown.cert) });
    impostor.on('tlsClientError', () => handshakes++);
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const port = (impostor.address() as AddressInfo).port;
      cp = await createChargePoint(config(undefined, { csmsUrl: `wss://127.0.0.1:${port}/ocpp`, caFile: trusted.cert }), { log: silentLogger, meterFactory: () => new FakeMeter() });
      await cp.start();
      const journal = join(dir, 'edge', 'security-events.jsonl');
      await pollUntil(() => handshakes >= 3, 'three refused TLS handshakes');
      await pollUntil(() => existsSync(journal) && readFileSync(journal, 'utf8').includes('InvalidCentralSystemCertificate'), 'InvalidCentralSystemCertificate journaled');
      await stopEdge();
      expect(readFileSync(journal, 'utf8').match(/InvalidCentralSystemCertificate/g)).toHaveLength(1);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }

    // Pointed at the right central system: the queued event is delivered and stored as critical.
    const edge = await startEdge();
    await pollUntil(() => edge.state.boot === 'Accepted', 'boot Accepted at the real core');
    await pollUntil(async () => (await eventTypes()).includes('InvalidCentralSystemCertificate'), 'InvalidCentralSystemCertificate stored by the core');
    const events = (await securityEvents()).filter((e) => e.status === 'InvalidCentralSystemCertificate');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ critical: false }); // not critical in the whitepaper's appendix
    expect(events[0]!.techInfo).toMatch(/CERT|certificate/i);
  });
});
