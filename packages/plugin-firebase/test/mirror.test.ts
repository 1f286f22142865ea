/**
 * The mirror against firebase-server (open rules: firebase-server treats the Admin SDK like any
 * client), fed by a real CSMS and a fake charge point over OCPP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toPublicConnectorView } from '@charge-it/core';
import type { FakeChargePoint, TestCsms } from '@charge-it/core/testing';
import { firebaseMirror } from '../src/index.js';
import { startFirebaseServer, waitFor, type TestFirebaseServer } from './helpers/firebase-server.js';
import { ID_TAG, connectCharger, meter, plain, startCsms } from './helpers/station.js';

let fb: TestFirebaseServer;
let csms: TestCsms | null = null;
let cp: FakeChargePoint | null = null;

beforeAll(async () => {
  fb = await startFirebaseServer();
});
afterAll(async () => {
  await fb?.stop();
});
afterEach(async () => {
  await cp?.close().catch(() => {});
  await csms?.close();
  cp = null;
  csms = null;
});

const conn = (path = 'v1') => fb.valueAt(`/${path}/stations/CP-1/connectors/1`);

describe('firebaseMirror', () => {
  it('writes the public live state of a station and its session, the same JSON as the LAN view', async () => {
    csms = await startCsms([firebaseMirror({ databaseURL: fb.databaseURL, throttleMs: 200, driverPage: false })]);
    const live = csms.csms.services.get('live');
    cp = await connectCharger(csms);

    await waitFor(() => fb.valueAt('/v1/stations/CP-1'), (s) => s?.online === true && s?.connectors?.[1]?.status === 'Available', 'station online, connector Available');
    const station = await fb.valueAt('/v1/stations/CP-1');
    expect(station.chargePointId).toBe('CP-1');
    expect(typeof station.updatedAt).toBe('string');

    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 10_000 });
    await cp.status(1, 'Charging');
    await meter(cp, transactionId, 10_750, 7_200);
    await meter(cp, transactionId, 11_500, 7_400);

    const written = await waitFor(conn, (c) => c?.status === 'Charging' && c?.session?.energyWh === 1_500 && c?.session?.powerW === 7_400, 'session progress in Firebase');
    const expected = toPublicConnectorView(live.connector('CP-1', 1)!, new Date());
    // Same shape and values as the public LAN view (durationS is computed at write time).
    expect(plain({ ...written, session: { ...written.session, durationS: 0 } })).toEqual(plain({ ...expected, session: { ...expected.session!, durationS: 0 } }));
    expect(written.session).toMatchObject({ transactionId, idTagMasked: 'DEMO••23', energyWh: 1_500, powerW: 7_400 });
    expect(written.session.costIdr).toBeGreaterThan(0);
    expect(written.session.costIdr).toBe(expected.session!.costIdr);
    expect(written.session.durationS).toBeGreaterThanOrEqual(0);
    expect(Date.parse(written.session.startedAt)).not.toBeNaN();
    expect(Date.parse(written.session.updatedAt)).not.toBeNaN();

    await cp.stopTransaction({ transactionId, meterStop: 12_000, reason: 'Local' });
    await cp.status(1, 'Finishing');
    const after = await waitFor(conn, (c) => c?.status === 'Finishing' && !c?.session && c?.lastSession?.transactionId === transactionId, 'finished session summary');
    expect(after.lastSession).toMatchObject({ transactionId, idTagMasked: 'DEMO••23', energyWh: 2_000, stopReason: 'Local' });
    expect(after.lastSession.costIdr).toBeGreaterThan(written.session.costIdr);

    // The full idTag is nowhere in the database.
    expect(JSON.stringify(await fb.value())).not.toContain(ID_TAG);
    expect(csms.csms.services.get('firebaseMirror').state).toBe('online');
  });

  it('coalesces progress within the throttle window and writes a status change at once, with the latest values', async () => {
    // A window far longer than the test: progress alone is never written, only coalesced.
    csms = await startCsms([firebaseMirror({ databaseURL: fb.databaseURL, throttleMs: 600_000, path: 'throttle/v1', driverPage: false })]);
    const mirror = csms.csms.services.get('firebaseMirror');
    cp = await connectCharger(csms);
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 0 });
    // The session start is urgent: it is written at once.
    await waitFor(() => conn('throttle/v1'), (c) => c?.session?.transactionId === transactionId, 'session start written at once');
    await waitFor(() => mirror.stats().inFlightKeys, (n) => n === 0, 'the start acknowledged');
    const before = mirror.stats();

    for (let i = 1; i <= 10; i++) await meter(cp, transactionId, i * 100, 3_000 + i);
    await waitFor(
      () => csms!.csms.services.get('live').connector('CP-1', 1)?.session?.energyWh,
      (e) => e === 1_000,
      'live state has the last sample',
    );
    // The live events reach the mirror (asynchronously); nothing of the samples goes out: one
    // waiting state, the others replaced by it.
    await waitFor(() => mirror.busy('CP-1', 1), (b) => b, 'a waiting state for the connector');
    expect(mirror.stats().statesSent).toBe(before.statesSent);
    expect((await conn('throttle/v1')).session.energyWh).toBe(0);

    await cp.status(1, 'SuspendedEV');
    const c = await waitFor(() => conn('throttle/v1'), (v) => v?.status === 'SuspendedEV', 'status change written at once');
    expect(c.session).toMatchObject({ energyWh: 1_000, powerW: 3_010 });
    const after = mirror.stats();
    // Ten samples and a status change: one write (the live service coalesces too, so the mirror
    // may see fewer than ten events).
    expect(after.statesSent - before.statesSent).toBe(1);
  });

  it('drops the finished session summary from Firebase when the core stops showing it', async () => {
    let offsetMs = 0;
    const clock = { now: () => new Date(Date.now() + offsetMs) };
    csms = await startCsms([firebaseMirror({ databaseURL: fb.databaseURL, throttleMs: 100, sweepMs: 100, path: 'sweep/v1', driverPage: false })], {
      clock,
      live: { lastSessionMinutes: 30 },
    });
    cp = await connectCharger(csms);
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 0 });
    await cp.stopTransaction({ transactionId, meterStop: 900, reason: 'EVDisconnected' });
    await cp.status(1, 'Available');
    await waitFor(() => conn('sweep/v1'), (c) => c?.status === 'Available' && c?.lastSession?.transactionId === transactionId, 'summary shown after the stop');
    offsetMs = 31 * 60_000; // past live.lastSessionMinutes: the core drops it without an event
    const after = await waitFor(() => conn('sweep/v1'), (c) => c?.status === 'Available' && !c?.lastSession, 'summary removed');
    expect(after.session).toBeUndefined();
  });

  it('stays off with one clear log line when there are no credentials', async () => {
    const { createRecordingLogger } = await import('@charge-it/core/testing');
    const logger = createRecordingLogger();
    csms = await startCsms([firebaseMirror({ databaseURL: 'https://example-default-rtdb.firebaseio.com', env: {}, driverPage: false })], { logger });
    const mirror = csms.csms.services.get('firebaseMirror');
    expect(mirror.state).toBe('off');
    expect(mirror.offReason).toMatch(/no credentials/);
    const lines = logger.filter((e) => /Firebase mirror is off/.test(e.msg));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
  });

  it('refuses to start with a credentials file that does not exist', async () => {
    await expect(
      startCsms([firebaseMirror({ databaseURL: 'https://example-default-rtdb.firebaseio.com', credentials: '/nonexistent/sa.json', env: {}, driverPage: false })]),
    ).rejects.toThrow(/\/nonexistent\/sa\.json does not exist/);
  });
});
