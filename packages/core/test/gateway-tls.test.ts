import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { RPCClient } from 'ocpp-rpc';
import { generateAuthKey, hashAuthKey } from '../src/ocpp/credentials.js';
import { createTlsOptions } from '../src/ocpp/tls-options.js';
import { isCsmsError } from '../src/kernel/errors.js';
import type { RpcGatewayOptions } from '../src/ocpp/rpc-gateway.js';
import { basicAuth, rpcClientOptions, startGateway, upgradeRequest, type GatewayHarness } from './gateway-fixtures.js';

/** Security profile 2: wss with a self-signed certificate (RSA and ECDSA), Basic auth over TLS. */

let dir = '';
/** Both self-signed certificates: the server may present either. */
let trusted: string[] = [];
let files: { rsaCert: string; rsaKey: string; ecCert: string; ecKey: string };
const KEY = generateAuthKey();
let keyHash = '';
let harness: GatewayHarness | undefined;

const san = [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] }];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'charge-it-gateway-tls-'));
  const attrs = [
    { name: 'commonName', value: 'localhost' },
    { name: 'organizationName', value: 'Charge-IT test' },
  ];
  const rsa = await generate(attrs, { keyType: 'rsa', keySize: 2048, algorithm: 'sha256', extensions: san });
  const ec = await generate(attrs, { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', extensions: san });
  trusted = [rsa.cert, ec.cert];
  files = {
    rsaCert: path.join(dir, 'rsa.crt'),
    rsaKey: path.join(dir, 'rsa.key'),
    ecCert: path.join(dir, 'ec.crt'),
    ecKey: path.join(dir, 'ec.key'),
  };
  await writeFile(files.rsaCert, rsa.cert);
  await writeFile(files.rsaKey, rsa.private);
  await writeFile(files.ecCert, ec.cert);
  await writeFile(files.ecKey, ec.private);
  keyHash = await hashAuthKey(KEY);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function startTlsGateway(options: Partial<RpcGatewayOptions> = {}) {
  const tlsOptions = await createTlsOptions({
    certFile: [files.rsaCert, files.ecCert],
    keyFile: [files.rsaKey, files.ecKey],
  });
  const server = https.createServer(tlsOptions, (_req, res) => res.writeHead(200).end('https ok'));
  harness = await startGateway({
    server,
    options,
    chargePoints: {
      P2: { securityProfile: 2, authKeyHash: keyHash },
      P1: { securityProfile: 1, authKeyHash: keyHash },
      P0: { securityProfile: 0, authKeyHash: null },
    },
  });
  return harness;
}

const wss = (port: number, identity: string, password?: string) =>
  new RPCClient(
    rpcClientOptions({
      endpoint: `wss://127.0.0.1:${port}/ocpp`,
      identity,
      protocols: ['ocpp1.6'],
      password: password ?? null,
      reconnect: false,
      wsOpts: { ca: trusted, minVersion: 'TLSv1.2' },
    }),
  );

describe('gateway over TLS (security profile 2)', () => {
  it('admits a profile-2 charge point with the right key over wss; info.tls is true', async () => {
    const h = await startTlsGateway();
    const cp = wss(h.port, 'P2', KEY);
    await cp.connect();
    expect(await cp.call('Heartbeat', {})).toMatchObject({ currentTime: expect.any(String) });
    expect(h.connections[0]?.info).toMatchObject({ identity: 'P2', tls: true, securityProfile: 2 });
    await cp.close();
  });

  it('refuses a profile-2 charge point with a wrong or missing key over wss (401)', async () => {
    const h = await startTlsGateway();
    const request = https.request;
    const opts = { request, ca: trusted };
    expect((await upgradeRequest(h.port, '/ocpp/P2', {}, opts)).status).toBe(401);
    expect((await upgradeRequest(h.port, '/ocpp/P2', { Authorization: basicAuth('P2', 'nope-nope-nope-nope') }, opts)).status).toBe(401);
    expect((await upgradeRequest(h.port, '/ocpp/P2', { Authorization: basicAuth('P2', KEY) }, opts)).status).toBe(101);
  });

  it('admits profiles 0 and 1 over TLS as well (TLS only adds protection)', async () => {
    const h = await startTlsGateway();
    const p0 = wss(h.port, 'P0');
    await p0.connect();
    const p1 = wss(h.port, 'P1', KEY);
    await p1.connect();
    expect(h.connections.map((c) => c.info.securityProfile)).toEqual([0, 1]);
    await p0.close();
    await p1.close();
  });

  it('serves both the RSA and the ECDSA certificate', async () => {
    const h = await startTlsGateway();
    const kinds: string[] = [];
    for (const ciphers of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256']) {
      const socket = tls.connect({ host: '127.0.0.1', port: h.port, ciphers, maxVersion: 'TLSv1.2', rejectUnauthorized: false });
      await once(socket, 'secureConnect');
      kinds.push(socket.getPeerCertificate().asn1Curve ? 'ec' : 'rsa');
      expect(socket.getProtocol()).toBe('TLSv1.2');
      socket.destroy();
    }
    expect(kinds).toEqual(['rsa', 'ec']);
  });

  it('refuses a TLS 1.1 client (protocol_version alert from the server)', async () => {
    const h = await startTlsGateway();
    const serverErrors: Array<{ code?: string }> = [];
    h.server.on('tlsClientError', (err: Error & { code?: string }) => serverErrors.push(err));
    const socket = tls.connect({
      host: '127.0.0.1',
      port: h.port,
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
      rejectUnauthorized: false,
    });
    const [err] = (await once(socket, 'error').catch((e: unknown) => [e])) as [Error & { code?: string }];
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    await expect.poll(() => serverErrors.length).toBe(1);
    expect(serverErrors[0]?.code).toBe('ERR_SSL_UNSUPPORTED_PROTOCOL');
  });

  it('drops a TCP client that never starts the TLS handshake', async () => {
    const h = await startTlsGateway({ handshakeTimeoutMs: 200 });
    const socket = net.connect(h.port, '127.0.0.1');
    await once(socket, 'connect');
    await once(socket, 'close');
    expect(h.connections).toHaveLength(0);
  });

  it('does not drop a wss connection after its handshake', async () => {
    const h = await startTlsGateway({ handshakeTimeoutMs: 150 });
    const cp = wss(h.port, 'P2', KEY);
    await cp.connect();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await cp.call('Heartbeat', {})).toMatchObject({ currentTime: expect.any(String) });
    await cp.close();
  });
});

describe('createTlsOptions', () => {
  it('reads PEM files and pins TLS 1.2+, no compression', async () => {
    const options = await createTlsOptions({ certFile: files.rsaCert, keyFile: files.rsaKey, caFile: files.rsaCert });
    expect(options.minVersion).toBe('TLSv1.2');
    expect(options.secureOptions).toBeGreaterThan(0);
    expect(Array.isArray(options.cert) && options.cert).toHaveLength(1);
    expect(options.ca).toBeInstanceOf(Buffer);
  });

  it('a missing file → LISTEN error naming the file', async () => {
    const missing = path.join(dir, 'missing.crt');
    await expect(createTlsOptions({ certFile: missing, keyFile: files.rsaKey })).rejects.toSatisfy(
      (err) => isCsmsError(err, 'CSMS_ERR_LISTEN') && (err as Error).message.includes(missing),
    );
  });

  it('cert and key lists of different length → CONFIG_INVALID', async () => {
    await expect(createTlsOptions({ certFile: [files.rsaCert, files.ecCert], keyFile: files.rsaKey })).rejects.toSatisfy(
      (err) => isCsmsError(err, 'CSMS_ERR_CONFIG_INVALID'),
    );
  });
});
