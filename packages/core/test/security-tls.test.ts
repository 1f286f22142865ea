/**
 * Issue 8 §5 over real TLS on loopback, with selfsigned-generated certificates:
 * - RSA and ECDSA certificates served together (the client's algorithms pick one), TLS 1.2 AEAD
 *   suites only (a CBC-only client is refused);
 * - certificate reload without a restart (csms.reloadTls(), and the file watch);
 * - security profile 3: a client certificate chained to the configured CA with CN = charge point
 *   id connects; another CN, a certificate of another CA, or none is refused (401) and logged.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { ChargePointSchema } from '../src/persistence/entities/index.js';
import { createRecordingLogger, createTestCsms, FakeChargePoint, type TestCsms } from '../src/testing/index.js';
import { upgradeRequest } from './gateway-fixtures.js';
import https from 'node:https';

let dir = '';
const san = [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] }];
let server: TestCsms | undefined;
let ca: { cert: string; private: string };
let otherCa: { cert: string; private: string };
const files = { rsaCert: '', rsaKey: '', ecCert: '', ecKey: '', ca: '' };
let trusted: string[] = [];

const serverCert = (cn: string, keyType: 'rsa' | 'ec') =>
  generate([{ name: 'commonName', value: cn }], { keyType, ...(keyType === 'ec' ? { curve: 'P-256' as const } : { keySize: 2048 }), algorithm: 'sha256', extensions: san });

const caCert = (cn: string) =>
  generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });

const clientCert = (cn: string, issuer: { cert: string; private: string }) =>
  generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ca: { key: issuer.private, cert: issuer.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'charge-it-security-tls-'));
  for (const name of Object.keys(files) as (keyof typeof files)[]) files[name] = path.join(dir, `${name}.pem`);
  // Distinct subject names: OpenSSL finds a trusted certificate by its name.
  const [rsa, ec] = await Promise.all([serverCert('localhost rsa', 'rsa'), serverCert('localhost ec', 'ec')]);
  ca = await caCert('Charge-IT test CA');
  otherCa = await caCert('Someone else CA');
  trusted = [rsa.cert, ec.cert];
  await writeFile(files.rsaCert, rsa.cert);
  await writeFile(files.rsaKey, rsa.private);
  await writeFile(files.ecCert, ec.cert);
  await writeFile(files.ecKey, ec.private);
  await writeFile(files.ca, ca.cert);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ADMIN_KEY = 'security-tls-test-admin-key-0123456789';

async function start(logger = createRecordingLogger()) {
  server = await createTestCsms({
    apiAdminKey: ADMIN_KEY,
    chargePoints: ['CP-3', 'CP-0'],
    tls: { certFile: `${files.rsaCert},${files.ecCert}`, keyFile: `${files.rsaKey},${files.ecKey}`, caFile: files.ca },
    logger,
  });
  await server.csms.orm.em.fork().nativeUpdate(ChargePointSchema, { id: 'CP-3' }, { securityProfile: 3 });
  return { server, logger };
}

/** POST to the REST API over TLS with the admin key. */
function postApi(port: number, apiPath: string, body: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: '127.0.0.1', port, path: `/api/v1${apiPath}`, method: 'POST', ca: trusted, servername: 'localhost', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    request.once('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** The server certificate a TLS client with these options gets (or the handshake error). */
function peer(port: number, options: tls.ConnectionOptions): Promise<{ cert: tls.PeerCertificate; cipher: string } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: trusted, servername: 'localhost', ...options }, () => {
      const result = { cert: socket.getPeerCertificate(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.once('error', (err) => resolve({ error: err.message }));
  });
}

describe('TLS (security profile 2/3 server side)', () => {
  it('serves RSA and ECDSA certificates together and only AEAD suites for TLS 1.2', async () => {
    const { server: s } = await start();
    const ecdsa = await peer(s.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    expect(ecdsa).toMatchObject({ cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    expect('cert' in ecdsa && ecdsa.cert.asn1Curve).toBe('prime256v1');
    const rsa = await peer(s.port, { maxVersion: 'TLSv1.2', ciphers: 'AES256-GCM-SHA384' });
    expect(rsa).toMatchObject({ cipher: 'AES256-GCM-SHA384' });
    expect('cert' in rsa && rsa.cert.bits).toBe(2048);
    for (const cbc of ['ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'AES128-SHA256']) {
      expect(await peer(s.port, { maxVersion: 'TLSv1.2', ciphers: cbc }), cbc).toHaveProperty('error');
    }
    expect(await peer(s.port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).toHaveProperty('error');
  });

  it('reloads certificates without a restart: csms.reloadTls(), and by watching the files', async () => {
    const { server: s, logger } = await start();
    const before = await peer(s.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    const renewed = await serverCert('localhost renewed 1', 'ec');
    trusted.push(renewed.cert);
    await writeFile(files.ecCert, renewed.cert);
    await writeFile(files.ecKey, renewed.private);
    await s.csms.reloadTls();
    const after = await peer(s.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    expect([before, after].map((r) => ('error' in r ? r.error : 'ok'))).toEqual(['ok', 'ok']);
    if ('cert' in before && 'cert' in after) {
      expect(after.cert.fingerprint256).not.toBe(before.cert.fingerprint256);
      expect(after.cert.fingerprint256).toBe(new (await import('node:crypto')).X509Certificate(renewed.cert).fingerprint256);
    }

    // The file watch (polled every 10 s) picks up the next renewal by itself.
    const again = await serverCert('localhost renewed 2', 'ec');
    trusted.push(again.cert);
    const expected = new (await import('node:crypto')).X509Certificate(again.cert).fingerprint256;
    logger.clear();
    await writeFile(files.ecCert, again.cert);
    await writeFile(files.ecKey, again.private);
    await logger.waitFor((e) => e.event === 'tls-reloaded', { timeoutMs: 60_000 });
    let seen = '';
    for (let i = 0; i < 100 && seen !== expected; i++) {
      const r = await peer(s.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      seen = 'cert' in r ? r.cert.fingerprint256 : '';
      if (seen !== expected) await new Promise((res) => setTimeout(res, 200));
    }
    expect(seen).toBe(expected);
  }, 90_000);

  it('security profile 3: a client certificate of the configured CA with CN = charge point id connects; others are refused and logged', async () => {
    const { server: s, logger } = await start();
    const good = await clientCert('CP-3', ca);
    const wrongCn = await clientCert('CP-OTHER', ca);
    const foreign = await clientCert('CP-3', otherCa);
    const attempt = (cert?: { clientcert?: string; cert: string; private: string }) =>
      upgradeRequest(s.port, '/ocpp/CP-3', {}, {
        request: https.request,
        ca: trusted,
        servername: 'localhost',
        ...(cert ? { cert: cert.cert, key: cert.private } : {}),
      } as never);

    expect((await attempt(good)).status).toBe(101);
    expect((await attempt(wrongCn)).status).toBe(401);
    expect((await attempt(foreign)).status).toBe(401);
    expect((await attempt()).status).toBe(401);
    const refusals = logger.filter((e) => e.event === 'ocpp-client-certificate-refused').map((e) => e.reason);
    expect(refusals).toEqual([
      'client certificate CN is not the charge point id',
      'client certificate not trusted (not signed by the configured CA)',
      'no client certificate presented (security profile 3)',
    ]);

    // Registered as profile 3 through the registry (REST POST /charge-points): no key is generated.
    const registered = await s.csms.services.get('chargePointRegistry').register({ id: 'CP-3B', securityProfile: 3 }, 'test');
    expect(registered).toMatchObject({ securityProfile: 3, authKey: null });
    const viaRest = await postApi(s.port, '/charge-points', { id: 'CP-3R', securityProfile: 3 });
    expect(viaRest.status, JSON.stringify(viaRest.body)).toBe(201);
    expect(viaRest.body).not.toHaveProperty('authKey');
    expect(viaRest.body.chargePoint).toMatchObject({ id: 'CP-3R', securityProfile: 3, hasAuthKey: false });
    const cert3b = await clientCert('CP-3B', ca);
    expect((await upgradeRequest(s.port, '/ocpp/CP-3B', {}, { request: https.request, ca: trusted, servername: 'localhost', cert: cert3b.cert, key: cert3b.private } as never)).status).toBe(101);

    // A full OCPP session with the certificate; a profile-0 charger on the same server needs none.
    const cp = new FakeChargePoint({ url: s.ocppUrlFor('CP-3'), identity: 'CP-3', wsOpts: { ca: trusted, cert: good.cert, key: good.private, servername: 'localhost' } });
    await cp.connect();
    expect((await cp.boot()).status).toBe('Accepted');
    await cp.close();
    const open = new FakeChargePoint({ url: s.ocppUrlFor('CP-0'), identity: 'CP-0', wsOpts: { ca: trusted, servername: 'localhost' } });
    await open.connect();
    await open.close();
  });
});
