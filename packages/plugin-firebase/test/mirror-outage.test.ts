/**
 * Firebase away, slow or dead: the OCPP side never waits for it, memory stays bounded, and the
 * latest state wins when the link returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordingLogger, type FakeChargePoint, type TestCsms } from '@charge-it/core/testing';
import { firebaseMirror } from '../src/index.js';
import { startFirebaseServer, waitFor, type TestFirebaseServer } from './helpers/firebase-server.js';
import { ID_TAG, connectCharger, meter, startCsms } from './helpers/station.js';
import { startBlackhole, startGate } from './helpers/tcp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(databaseURL: string, throttleMs = 200, extra: Record<string, unknown> = {}): Promise<{ csms: TestCsms; cp: FakeChargePoint }> {
  const { connectWarnMs, ...csmsOptions } = extra as { connectWarnMs?: number };
  const csms = await startCsms([firebaseMirror({ databaseURL, throttleMs, driverPage: false, ...(connectWarnMs ? { connectWarnMs } : {}) })], csmsOptions);
  cleanups.push(() => csms.close());
  const cp = await connectCharger(csms);
  cleanups.push(() => cp.close());
  return { csms, cp };
}

describe('firebaseMirror when Firebase is away', () => {
  it('keeps only the latest state during an outage and writes it when firebase-server is back on the same port', async () => {
    const fb: TestFirebaseServer = await startFirebaseServer();
    cleanups.push(() => fb.stop());
    const { csms, cp } = await setup(fb.databaseURL);
    const mirror = csms.csms.services.get('firebaseMirror');
    const conn = () => fb.valueAt('/v1/stations/CP-1/connectors/1');

    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 0 });
    await cp.status(1, 'Charging');
    await meter(cp, transactionId, 500, 7_000);
    await waitFor(conn, (c) => c?.session?.energyWh === 500, 'first sample in Firebase');
    await waitFor(() => mirror.state, (s) => s === 'online', 'mirror online');

    await fb.stop();
    await waitFor(() => mirror.state, (s) => s === 'offline', 'mirror notices the outage', 60_000);

    // The charger goes on: every call is answered while Firebase is gone.
    let answered = 0;
    let maxQueued = 0;
    for (let i = 1; i <= 40; i++) {
      await meter(cp, transactionId, 500 + i * 50, 7_000 + i);
      answered++;
      const s = mirror.stats();
      maxQueued = Math.max(maxQueued, s.pendingKeys, s.inFlightKeys);
    }
    await cp.status(1, 'SuspendedEVSE');
    await meter(cp, transactionId, 2_600, 0);
    expect(answered).toBe(40);
    // One connector and one station: nothing piles up, whatever the number of events.
    await waitFor(() => csms.csms.services.get('live').connector('CP-1', 1)?.session?.energyWh, (e) => e === 2_600, 'live state current');
    const s = mirror.stats();
    maxQueued = Math.max(maxQueued, s.pendingKeys, s.inFlightKeys);
    // At most one waiting and one unacknowledged state per key (one connector, one station).
    expect(maxQueued).toBeLessThanOrEqual(2);

    await fb.restart();
    const back = await waitFor(conn, (c) => c?.status === 'SuspendedEVSE' && c?.session?.energyWh === 2_600, 'latest state after recovery', 90_000);
    expect(back.session.powerW).toBe(0);
    await waitFor(() => mirror.state, (st) => st === 'online', 'mirror online again');

    // A database that lost everything meanwhile is rebuilt after the next outage.
    await fb.restart(null);
    const rebuilt = await waitFor(() => fb.valueAt('/v1/stations/CP-1'), (st) => st?.online === true && st?.connectors?.[1]?.session?.energyWh === 2_600, 'station rewritten', 90_000);
    expect(rebuilt.connectors[1].status).toBe('SuspendedEVSE');
  }, 240_000);

  it('answers every OCPP call while Firebase accepts connections and never answers', async () => {
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const logger = createRecordingLogger();
    const { csms, cp } = await setup(`http://127.0.0.1:${hole.port}?ns=dead`, 200, { logger, connectWarnMs: 300 });
    const mirror = csms.csms.services.get('firebaseMirror');

    const { transactionId, idTagInfo } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 0 });
    expect(idTagInfo.status).toBe('Accepted');
    await cp.status(1, 'Charging');
    for (let i = 1; i <= 20; i++) expect(await meter(cp, transactionId, i * 100, 7_000)).toEqual({});
    const stop = await cp.stopTransaction({ transactionId, meterStop: 2_100, reason: 'Local' });
    expect(stop).toBeTypeOf('object');
    await cp.status(1, 'Available');

    const s = mirror.stats();
    expect(s.batchesAcked).toBe(0); // Firebase never answered anything...
    expect(mirror.state).not.toBe('online');
    // ...and nothing piled up: at most one waiting and one unacknowledged state per key.
    expect(s.pendingKeys).toBeLessThanOrEqual(2);
    expect(s.inFlightKeys).toBeLessThanOrEqual(2);
    // One clear warning that it is not connected.
    await logger.waitFor((e) => /Firebase mirror: not connected to http:\/\/127\.0\.0\.1:\d+\?ns=dead after/.test(e.msg), { timeoutMs: 20_000 });
    // Closing does not hang on the dead link (afterEach closes the CSMS).
  });

  it('answers OCPP calls while a slow Firebase has not acknowledged the write of the same change', async () => {
    const fb = await startFirebaseServer();
    cleanups.push(() => fb.stop());
    const gate = await startGate(fb.port);
    cleanups.push(() => gate.close());
    const { csms, cp } = await setup(`http://127.0.0.1:${gate.port}?ns=slow`, 100);
    const mirror = csms.csms.services.get('firebaseMirror');
    await waitFor(() => mirror.state, (s) => s === 'online', 'mirror online');
    await mirror.flush();

    gate.hold();
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 0 });
    await cp.status(1, 'Charging');
    for (let i = 1; i <= 5; i++) await meter(cp, transactionId, i * 100, 3_600);
    // The replies are all here, and Firebase has not acknowledged the session yet.
    await waitFor(() => mirror.busy('CP-1', 1), (b) => b, 'connector write waiting for Firebase');
    expect(mirror.stats().inFlightKeys).toBeGreaterThan(0);
    expect((await fb.valueAt('/v1/stations/CP-1/connectors/1'))?.session?.energyWh ?? 0).toBeLessThan(500);

    gate.release();
    await waitFor(() => fb.valueAt('/v1/stations/CP-1/connectors/1'), (c) => c?.status === 'Charging' && c?.session?.energyWh === 500, 'latest state once Firebase answers', 60_000);
    expect(await mirror.flush(30_000)).toBe(true);
  });
});
