import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChargePointCredentials } from '../src/ocpp/rpc-gateway.js';
import { RawClient, deferred, startGateway, upgradeRequest, type GatewayHarness } from './gateway-fixtures.js';

let harness: GatewayHarness | undefined;
const opened: RawClient[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
  await harness?.close();
  harness = undefined;
});

const profile0: ChargePointCredentials = { securityProfile: 0, authKeyHash: null };

async function connect(port: number, identity: string): Promise<RawClient> {
  const client = await RawClient.connect(port, identity);
  opened.push(client);
  return client;
}

describe('gateway handshake timeout', () => {
  it('drops a TCP client that never sends a request', async () => {
    harness = await startGateway({ options: { handshakeTimeoutMs: 200 } });
    const socket = net.connect(harness.port, '127.0.0.1');
    await once(socket, 'connect');
    await once(socket, 'close');
    expect(socket.destroyed).toBe(true);
  });

  it('drops a client that sends only part of the upgrade request (slowloris)', async () => {
    harness = await startGateway({ options: { handshakeTimeoutMs: 200 } });
    const socket = net.connect(harness.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /ocpp/CP1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
    await once(socket, 'close');
    expect(harness.connections).toHaveLength(0);
  });

  it('does not touch a websocket after its handshake, nor an HTTP keep-alive connection after its first request', async () => {
    harness = await startGateway({ options: { handshakeTimeoutMs: 150 } });
    const client = await connect(harness.port, 'CP1');
    // Outlive the handshake timeout a few times over, then prove the connection still works.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const frame = await client.heartbeat('late');
    expect(frame.slice(0, 2)).toEqual([3, 'late']);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<boolean>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: harness?.port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(req.reusedSocket));
        });
        req.on('error', reject);
      });
    expect(await get()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await get()).toBe(true);
    agent.destroy();
  });
});

describe('gateway per-IP caps', () => {
  it('refuses the connection over maxConnectionsPerIp with 429, and admits again after a close', async () => {
    harness = await startGateway({
      chargePoints: { A: profile0, B: profile0, C: profile0 },
      options: { maxConnectionsPerIp: 2 },
    });
    const a = await connect(harness.port, 'A');
    await connect(harness.port, 'B');
    expect((await upgradeRequest(harness.port, '/ocpp/C')).status).toBe(429);
    expect(harness.log.find((line) => line.obj.status === 429)?.obj).toMatchObject({
      identity: 'C',
      reason: 'too-many-connections',
      remoteAddress: '127.0.0.1',
    });
    await a.close();
    await expect.poll(() => harness?.gateway.stats().openConnections).toBe(1);
    await connect(harness.port, 'C');
  });

  it('answers 503 with Retry-After over maxPendingHandshakes (all addresses), before any lookup; admits again once handshakes finish', async () => {
    const gate = deferred();
    let lookups = 0;
    harness = await startGateway({
      options: { maxPendingHandshakes: 2 },
      lookup: async () => {
        lookups++;
        await gate.promise;
        return profile0;
      },
    });
    const first = upgradeRequest(harness.port, '/ocpp/CP1');
    const second = upgradeRequest(harness.port, '/ocpp/CP2', {}, { localAddress: '127.0.0.2' });
    await expect.poll(() => lookups).toBe(2);
    const busy = await upgradeRequest(harness.port, '/ocpp/CP3', {}, { localAddress: '127.0.0.3' });
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    expect(lookups).toBe(2);
    expect(harness.log.find((line) => line.obj.status === 503)?.obj).toMatchObject({ identity: 'CP3', reason: 'too many handshakes in progress on the server' });
    gate.resolve();
    expect((await first).status).toBe(101);
    expect((await second).status).toBe(101);
    expect((await upgradeRequest(harness.port, '/ocpp/CP3', {}, { localAddress: '127.0.0.3' })).status).toBe(101);
  });

  it('refuses handshakes over maxPendingHandshakesPerIp with 429 while lookups are slow', async () => {
    const gate = deferred();
    let lookups = 0;
    harness = await startGateway({
      options: { maxPendingHandshakesPerIp: 2 },
      lookup: async () => {
        lookups++;
        await gate.promise;
        return profile0;
      },
    });
    const first = upgradeRequest(harness.port, '/ocpp/CP1');
    const second = upgradeRequest(harness.port, '/ocpp/CP2');
    await expect.poll(() => lookups).toBe(2);
    expect((await upgradeRequest(harness.port, '/ocpp/CP3')).status).toBe(429);
    expect(lookups).toBe(2);
    gate.resolve();
    expect((await first).status).toBe(101);
    expect((await second).status).toBe(101);
  });

  it('a rejected handshake does not hold a slot', async () => {
    harness = await startGateway({ options: { maxConnectionsPerIp: 1, maxPendingHandshakesPerIp: 1 } });
    for (let i = 0; i < 5; i++) {
      expect((await upgradeRequest(harness.port, '/ocpp/UNKNOWN')).status).toBe(404);
    }
    await expect.poll(() => harness?.gateway.stats().pendingHandshakes).toBe(0);
    await connect(harness.port, 'CP1');
  });
});
