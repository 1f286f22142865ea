import http from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RPCClient } from 'ocpp-rpc';
import { generateAuthKey, hashAuthKey } from '../src/ocpp/credentials.js';
import { createRpcGateway } from '../src/ocpp/rpc-gateway.js';
import { isCsmsError } from '../src/kernel/errors.js';
import {
  RawClient,
  basicAuth,
  deferred,
  recordingLogger,
  rpcClientOptions,
  startGateway,
  upgradeRequest,
  type GatewayHarness,
} from './gateway-fixtures.js';

let harness: GatewayHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const KEY = generateAuthKey();
let keyHash = '';

beforeAll(async () => {
  keyHash = await hashAuthKey(KEY);
});

function rejections(h: GatewayHarness) {
  return h.log.filter((line) => line.obj.event === 'ocpp-rejected').map((line) => line.obj);
}

describe('gateway handshake: path, id, subprotocol', () => {
  it.each([
    ['/other/CP1', 404],
    ['/ocpp', 404],
    ['/ocpp/', 404],
    ['/ocpp/a/b', 404],
    ['/ocpp/bad%ZZ', 400],
    ['/ocpp/has%20space', 400],
    ['/ocpp/a%2Fb', 400],
    [`/ocpp/${'A'.repeat(49)}`, 400],
  ])('%s → %i, logged with the reason', async (path, status) => {
    harness = await startGateway();
    const result = await upgradeRequest(harness.port, path);
    expect(result.status).toBe(status);
    expect(rejections(harness)).toEqual([expect.objectContaining({ status, reason: expect.any(String) })]);
    expect(harness.connections).toHaveLength(0);
  });

  it('a non-websocket Upgrade → 400', async () => {
    harness = await startGateway();
    expect((await upgradeRequest(harness.port, '/ocpp/CP1', { Upgrade: 'h2c' })).status).toBe(400);
  });

  it.each([
    ['no subprotocol', 400, undefined],
    ['only ocpp2.0.1', 400, 'ocpp2.0.1'],
    ['only ocpp0.1 (TC_088)', 400, 'ocpp0.1'],
    ['a malformed list', 400, 'ocpp1.6,,'],
  ])('%s → %i', async (_case, status, protocols) => {
    harness = await startGateway();
    const result = await upgradeRequest(harness.port, '/ocpp/CP1', { 'Sec-WebSocket-Protocol': protocols });
    expect(result.status).toBe(status);
    expect(harness.connections).toHaveLength(0);
  });

  it('offered "ocpp0.1,ocpp1.6" → upgraded with ocpp1.6 (TC_088)', async () => {
    harness = await startGateway();
    const result = await upgradeRequest(harness.port, '/ocpp/CP1', { 'Sec-WebSocket-Protocol': 'ocpp0.1,ocpp1.6' });
    expect(result.status).toBe(101);
    expect(result.headers['sec-websocket-protocol']).toBe('ocpp1.6');
  });

  it('a percent-encoded id is decoded', async () => {
    harness = await startGateway({ chargePoints: { 'SPKLU:01#A': { securityProfile: 0, authKeyHash: null } } });
    const raw = await RawClient.connect(harness.port, 'SPKLU:01#A');
    expect(harness.connections[0]?.info.identity).toBe('SPKLU:01#A');
    await raw.close();
  });

  it('a bad Sec-WebSocket-Key is refused by ws after our checks (400), slot released', async () => {
    harness = await startGateway();
    const result = await upgradeRequest(harness.port, '/ocpp/CP1', { 'Sec-WebSocket-Key': 'short' });
    expect(result.status).toBe(400);
    await expect.poll(() => harness?.gateway.stats().pendingHandshakes).toBe(0);
  });

  it('plain HTTP requests on the same server are untouched', async () => {
    harness = await startGateway();
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: harness?.port, path: '/api/health' }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toBe('http ok');
  });
});

describe('gateway handshake: lookup and registration', () => {
  it('an unknown id → 404', async () => {
    harness = await startGateway();
    expect((await upgradeRequest(harness.port, '/ocpp/CP9')).status).toBe(404);
    expect(rejections(harness)[0]).toMatchObject({ identity: 'CP9', status: 404, reason: 'unknown charge point' });
  });

  it('with autoRegister an unknown id is registered and admitted at profile 0', async () => {
    harness = await startGateway({ options: { autoRegister: true } });
    const raw = await RawClient.connect(harness.port, 'NEW-1');
    expect(harness.registered).toEqual(['NEW-1']);
    expect(harness.connections[0]?.info).toMatchObject({ identity: 'NEW-1', securityProfile: 0 });
    await raw.close();
  });

  it('autoRegister without registerChargePoint is a config error', () => {
    const { logger } = recordingLogger();
    expect(() =>
      createRpcGateway({
        server: http.createServer(),
        logger,
        lookupChargePoint: async () => null,
        onConnection: () => {},
        options: { autoRegister: true },
      }),
    ).toThrow(expect.objectContaining({ code: 'CSMS_ERR_CONFIG_INVALID' }));
  });

  it.each([
    [{ maxPayload: 10 }, 'maxPayload'],
    [{ callTimeoutMs: -1 }, 'callTimeoutMs'],
    [{ maxBadMessages: 1.5 }, 'maxBadMessages'],
    [{ path: '/ocpp/' }, 'path'],
    [{ handshakeTimeoutMs: 0 }, 'handshakeTimeoutMs'],
  ])('bad option %j → CONFIG_INVALID naming %s', (options, name) => {
    const { logger } = recordingLogger();
    try {
      createRpcGateway({
        server: http.createServer(),
        logger,
        lookupChargePoint: async () => null,
        onConnection: () => {},
        options,
      });
      expect.unreachable();
    } catch (err) {
      expect(isCsmsError(err, 'CSMS_ERR_CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(name);
    }
  });

  it('a failing lookup → 503, logged as error', async () => {
    harness = await startGateway({
      lookup: async () => {
        throw new Error('database is down');
      },
    });
    expect((await upgradeRequest(harness.port, '/ocpp/CP1')).status).toBe(503);
    expect(harness.log.some((line) => line.level === 'error')).toBe(true);
  });

  it('a lookup that never answers → 503 after the handshake timeout, and the lookup is aborted', async () => {
    const aborted = deferred<unknown>();
    harness = await startGateway({
      options: { handshakeTimeoutMs: 200 },
      lookup: (_identity, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => aborted.resolve(signal.reason));
        }),
    });
    expect((await upgradeRequest(harness.port, '/ocpp/CP1')).status).toBe(503);
    await aborted.promise;
    await expect.poll(() => harness?.gateway.stats().pendingHandshakes).toBe(0);
  });
});

describe('gateway handshake: security profiles 1 and 2 (Basic auth)', () => {
  const profiles = () => ({
    P1: { securityProfile: 1 as const, authKeyHash: keyHash },
    P2: { securityProfile: 2 as const, authKeyHash: keyHash },
    NOKEY: { securityProfile: 1 as const, authKeyHash: null },
    BROKEN: { securityProfile: 1 as const, authKeyHash: 'not-a-hash' },
  });

  it('profile 1 with the right key → connected (ocpp-rpc RPCClient with password)', async () => {
    harness = await startGateway({ chargePoints: profiles() });
    const cp = new RPCClient(
      rpcClientOptions({
        endpoint: `ws://127.0.0.1:${harness.port}/ocpp`,
        identity: 'P1',
        protocols: ['ocpp1.6'],
        password: KEY,
        reconnect: false,
      }),
    );
    await cp.connect();
    const result = (await cp.call('Heartbeat', {})) as { currentTime: string };
    expect(result.currentTime).toEqual(expect.any(String));
    expect(harness.connections[0]?.info).toMatchObject({ identity: 'P1', securityProfile: 1, tls: false });
    await cp.close();
  });

  it.each([
    ['no credentials', 401, undefined, 'Basic auth credentials missing'],
    ['a wrong password', 401, basicAuth('P1', 'f'.repeat(40)), 'wrong Basic auth password'],
    ['a wrong username', 401, basicAuth('P2', KEY), 'Basic auth username is not the charge point id'],
    ['a non-Basic scheme', 401, `Bearer ${KEY}`, 'Basic auth credentials missing'],
  ])('profile 1 with %s → %i and WWW-Authenticate', async (_case, status, authorization, reason) => {
    harness = await startGateway({ chargePoints: profiles() });
    const result = await upgradeRequest(harness.port, '/ocpp/P1', { Authorization: authorization });
    expect(result.status).toBe(status);
    expect(result.headers['www-authenticate']).toBe('Basic realm="Charge-IT"');
    expect(rejections(harness)[0]).toMatchObject({ identity: 'P1', status, reason });
  });

  it('profile 2 on plain ws → 401 even with the right key', async () => {
    harness = await startGateway({ chargePoints: profiles() });
    const result = await upgradeRequest(harness.port, '/ocpp/P2', { Authorization: basicAuth('P2', KEY) });
    expect(result.status).toBe(401);
    expect(rejections(harness)[0]).toMatchObject({ reason: 'security profile 2 requires TLS (wss://)' });
  });

  it('profile 1 without a stored key → 401 and an error for the operator', async () => {
    harness = await startGateway({ chargePoints: profiles() });
    expect((await upgradeRequest(harness.port, '/ocpp/NOKEY', { Authorization: basicAuth('NOKEY', KEY) })).status).toBe(401);
    expect(harness.log.some((line) => line.level === 'error' && line.obj.identity === 'NOKEY')).toBe(true);
  });

  it('a corrupt stored hash → 500 and an error for the operator', async () => {
    harness = await startGateway({ chargePoints: profiles() });
    expect((await upgradeRequest(harness.port, '/ocpp/BROKEN', { Authorization: basicAuth('BROKEN', KEY) })).status).toBe(500);
    expect(harness.log.some((line) => line.level === 'error' && line.obj.identity === 'BROKEN')).toBe(true);
  });

  it('profile 0 ignores credentials', async () => {
    harness = await startGateway();
    expect((await upgradeRequest(harness.port, '/ocpp/CP1', { Authorization: basicAuth('CP1', 'whatever') })).status).toBe(101);
  });

  it('never logs the key or the Authorization header', async () => {
    harness = await startGateway({ chargePoints: profiles() });
    await upgradeRequest(harness.port, '/ocpp/P1', { Authorization: basicAuth('P1', KEY) });
    await upgradeRequest(harness.port, '/ocpp/P1', { Authorization: basicAuth('P1', `${KEY}x`) });
    await upgradeRequest(harness.port, '/ocpp/P2', { Authorization: basicAuth('P2', KEY) });
    const logged = JSON.stringify(harness.log);
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain(Buffer.from(`P1:${KEY}`).toString('base64'));
    expect(logged.toLowerCase()).not.toContain('authorization":');
  });
});

describe('gateway connection events and close', () => {
  it('reports connect and disconnect with info, and logs accepted/closed', async () => {
    harness = await startGateway();
    const raw = await RawClient.connect(harness.port, 'CP1');
    expect(harness.connections[0]?.info).toEqual({
      identity: 'CP1',
      remoteAddress: '127.0.0.1',
      protocol: 'ocpp1.6',
      tls: false,
      securityProfile: 0,
    });
    expect(harness.gateway.stats()).toEqual({ pendingHandshakes: 0, openConnections: 1 });
    raw.ws.close(4000, 'bye');
    await expect.poll(() => harness?.disconnects.length).toBe(1);
    expect(harness.disconnects[0]).toMatchObject({ identity: 'CP1', code: 4000, reason: 'bye' });
    const events = harness.log.map((line) => line.obj.event).filter(Boolean);
    expect(events).toContain('ocpp-accepted');
    expect(events).toContain('ocpp-closed');
    await expect.poll(() => harness?.gateway.stats().openConnections).toBe(0);
  });

  it('an onConnection that throws closes that connection with 1011 and is logged', async () => {
    const { logger, lines } = recordingLogger();
    const server = http.createServer();
    const gateway = createRpcGateway({
      server,
      logger,
      lookupChargePoint: async () => ({ securityProfile: 0, authKeyHash: null }),
      onConnection: () => {
        throw new Error('router exploded');
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    const raw = await RawClient.connect(port, 'CP1');
    expect((await raw.closed).code).toBe(1011);
    expect(lines.some((line) => line.level === 'error' && line.msg?.includes('onConnection'))).toBe(true);
    await gateway.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('close() closes every connection with 1001 and answers new upgrades no more', async () => {
    harness = await startGateway({ chargePoints: { A: { securityProfile: 0, authKeyHash: null }, B: { securityProfile: 0, authKeyHash: null } } });
    const a = await RawClient.connect(harness.port, 'A');
    const b = await RawClient.connect(harness.port, 'B');
    await harness.gateway.close();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(harness.disconnects.map((d) => d.code)).toEqual([1001, 1001]);
    // Detached: the HTTP server no longer hands upgrades to the gateway.
    expect(harness.server.listenerCount('upgrade')).toBe(0);
    await harness.gateway.close(); // idempotent
  });

  it('close() does not wait forever for a handler that never returns', async () => {
    harness = await startGateway({ options: { closeTimeoutMs: 200 } });
    const raw = await RawClient.connect(harness.port, 'CP1');
    raw.send([2, 'stuck', 'DataTransfer', { vendorId: 'test', data: 'block:never-released' }]);
    await expect.poll(() => harness?.connections.length).toBe(1);
    await harness.gateway.close();
    await raw.closed;
    expect(harness.disconnects).toHaveLength(1);
  });
});
