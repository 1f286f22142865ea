import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent, LiveStateService } from '../src/index.js';
import { definePlugin } from '../src/index.js';
import { createTestCsms, FakeChargePoint, waitForLive, type TestCsms } from '../src/testing/index.js';
import { testDatabases, type TestDatabase } from './support/databases.js';

const TARIFF = { energyPricePerKwh: 2_000, pricePerMinute: 0, idleFeePerMinute: 0, idleGraceMinutes: 15, taxPercent: 10 };

function sample(energyWh: number, powerW: number, extra: { currentA?: number; soc?: number } = {}) {
  return [
    {
      timestamp: new Date().toISOString(),
      sampledValue: [
        { value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' as const, context: 'Sample.Periodic' as const },
        { value: String(powerW / 1000), measurand: 'Power.Active.Import', unit: 'kW' as const },
        ...(extra.currentA === undefined ? [] : [{ value: String(extra.currentA), measurand: 'Current.Import', unit: 'A' as const }]),
        ...(extra.soc === undefined ? [] : [{ value: String(extra.soc), measurand: 'SoC', unit: 'Percent' as const, location: 'EV' as const }]),
      ],
    },
  ];
}

describe.each(testDatabases())('live state on $name', (db) => {
  let database: TestDatabase;
  let server: TestCsms | undefined;
  let cp: FakeChargePoint | undefined;

  const startServer = async (extra: Record<string, unknown> = {}, seed = true) => {
    server = await createTestCsms({
      databaseUrl: database.databaseUrl,
      ...(seed ? { idTags: { 'DEMO-12345': 'Accepted' }, chargePoints: ['CP-1', 'CP-2'] } : {}),
      ...extra,
    });
    return server;
  };
  const connect = async (id = 'CP-1') => {
    cp = new FakeChargePoint({ url: server!.ocppUrlFor(id), identity: id });
    await cp.connect();
    return cp;
  };
  const live = (): LiveStateService => server!.csms.services.get('live');

  beforeEach(async () => {
    database = await db.create();
  });
  afterEach(async () => {
    await cp?.close();
    await server?.close();
    cp = undefined;
    server = undefined;
    await database.dispose();
  });

  it('shows a session driven by a charge point with the right energy, power, cost, and its end', async () => {
    await startServer();
    const settings = server!.csms.services.get('settings');
    await settings.set('tariff', TARIFF);
    await settings.set('site', { maxGridPowerKw: 50, minPowerPerConnectorKw: 1.4, defaultChargePointMaxKw: 22 });
    await connect();
    await cp!.boot({ chargePointVendor: 'Acme', chargePointModel: 'AC22', firmwareVersion: '4.2' });
    await cp!.status(1, 'Preparing');
    const { transactionId } = await cp!.startTransaction({ connectorId: 1, idTag: 'DEMO-12345', meterStart: 1_000 });
    await cp!.status(1, 'Charging');
    await cp!.meterValues({ connectorId: 1, transactionId, meterValue: sample(6_000, 7_200, { currentA: 32, soc: 55 }) });

    const snap = await waitForLive(live(), (s) => s.chargePoints.find((c) => c.id === 'CP-1')?.connectors.find((c) => c.connectorId === 1)?.session?.energyWh === 5_000);
    const point = snap.chargePoints.find((c) => c.id === 'CP-1')!;
    expect(point).toMatchObject({ connected: true, registrationStatus: 'Accepted', vendor: 'Acme', model: 'AC22', firmwareVersion: '4.2' });
    expect(point.connectedSince).not.toBeNull();
    const connector = point.connectors.find((c) => c.connectorId === 1)!;
    expect(connector).toMatchObject({ status: 'Charging', errorCode: 'NoError' });
    expect(connector.session).toMatchObject({ transactionId, idTag: 'DEMO-12345', meterStartWh: 1_000, energyWh: 5_000, powerW: 7_200, currentA: 32, socPercent: 55 });
    // 5 kWh at 2000 IDR + 10 % tax; the same as the tariff service computes from the database.
    expect(connector.session!.costIdr).toBe(11_000);
    expect((await server!.csms.services.get('tariffs').liveCost(transactionId)).total).toBe(11_000);
    expect(snap.site).toEqual({ powerW: 7_200, gridLimitW: 50_000, sessionsRunning: 1, chargePointsOnline: 1, chargePointsTotal: 1 });

    await cp!.stopTransaction({ transactionId, meterStop: 9_000, reason: 'EVDisconnected' });
    await cp!.status(1, 'Available');
    const after = await waitForLive(live(), (s) => s.site.sessionsRunning === 0 && live().connector('CP-1', 1)?.status === 'Available');
    const c1 = after.chargePoints.find((c) => c.id === 'CP-1')!.connectors.find((c) => c.connectorId === 1)!;
    expect(c1.session).toBeNull();
    expect(c1.lastSession).toMatchObject({ transactionId, idTag: 'DEMO-12345', energyWh: 8_000, costIdr: 17_600, stopReason: 'EVDisconnected' });
    expect(after.site.powerW).toBe(0);
  });

  it('is restored from the database after a restart, and right after a reconnect without a Boot', async () => {
    await startServer();
    await server!.csms.services.get('settings').set('tariff', TARIFF);
    await connect();
    await cp!.boot({ chargePointVendor: 'Acme', chargePointModel: 'DC50', firmwareVersion: '9.9' });
    const { transactionId } = await cp!.startTransaction({ connectorId: 2, idTag: 'DEMO-12345', meterStart: 0 });
    await cp!.status(2, 'Charging');
    await cp!.meterValues({ connectorId: 2, transactionId, meterValue: sample(2_500, 11_000, { soc: 40 }) });
    await waitForLive(live(), () => live().connector('CP-1', 2)?.session?.energyWh === 2_500);
    await cp!.close();
    cp = undefined;
    await server!.close();
    server = undefined;

    await startServer({}, false);
    // Restored before any charge point connects.
    const restored = live().chargePoint('CP-1')!;
    expect(restored).toMatchObject({ connected: false, registrationStatus: 'Accepted', vendor: 'Acme', model: 'DC50', firmwareVersion: '9.9' });
    const c2 = live().connector('CP-1', 2)!;
    expect(c2.status).toBe('Charging');
    expect(c2.session).toMatchObject({ transactionId, energyWh: 2_500, powerW: 11_000, socPercent: 40, costIdr: 5_500 });
    expect(live().snapshot().site).toMatchObject({ powerW: 11_000, sessionsRunning: 1, chargePointsOnline: 0 });

    // The charger comes back without a BootNotification and carries on.
    await connect();
    await cp!.meterValues({ connectorId: 2, transactionId, meterValue: sample(4_000, 10_000) });
    const back = await waitForLive(live(), () => live().connector('CP-1', 2)?.session?.energyWh === 4_000);
    expect(back.chargePoints.find((c) => c.id === 'CP-1')).toMatchObject({ connected: true, registrationStatus: 'Accepted', vendor: 'Acme' });
    expect(back.site).toMatchObject({ chargePointsOnline: 1, powerW: 10_000 });
    await cp!.close();
    cp = undefined;
    await waitForLive(live(), () => live().chargePoint('CP-1')?.connected === false);
  });

  it('is up to date when the reply arrives, even while a plugin blocks in its observe hook', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let blockedCalls = 0;
    const blocker = definePlugin({
      name: 'blocker',
      hooks: {
        onMeterValues: async () => {
          blockedCalls++;
          await gate;
        },
      },
    });
    await startServer({ plugins: [blocker] });
    try {
      await connect();
      await cp!.boot();
      const { transactionId } = await cp!.startTransaction({ connectorId: 1, idTag: 'DEMO-12345', meterStart: 0 });
      expect(live().connector('CP-1', 1)?.session?.transactionId).toBe(transactionId);
      for (let i = 1; i <= 3; i++) {
        await cp!.meterValues({ connectorId: 1, transactionId, energyWh: i * 1_000 });
        // No waiting: the live state was updated after the commit, before the answer was sent.
        expect(live().connector('CP-1', 1)?.session?.energyWh).toBe(i * 1_000);
      }
      await waitForLive(live(), () => blockedCalls === 1);
      await cp!.status(1, 'Finishing');
      expect(live().connector('CP-1', 1)?.status).toBe('Finishing');
      expect(blockedCalls).toBe(1); // the plugin is still stuck in its first call
    } finally {
      release();
    }
  });

  it('coalesces a burst of MeterValues (no event until the interval), while a status change goes out at once with the latest state', async () => {
    await startServer({ live: { coalesceMs: 60_000 } });
    await connect();
    await cp!.boot();
    const { transactionId } = await cp!.startTransaction({ connectorId: 1, idTag: 'DEMO-12345', meterStart: 0 });
    await waitForLive(live(), () => live().connector('CP-1', 1)?.session != null);
    const events: LiveEvent[] = [];
    const off = live().subscribe((e) => void events.push(e), { chargePointId: 'CP-1', connectorId: 1 });
    for (let i = 1; i <= 20; i++) await cp!.meterValues({ connectorId: 1, transactionId, energyWh: i * 100 });
    await server!.csms.drain();
    await waitForLive(live(), () => live().connector('CP-1', 1)?.session?.energyWh === 2_000);
    expect(events).toEqual([]);
    await cp!.status(1, 'SuspendedEV');
    await server!.csms.drain();
    await waitForLive(live(), () => events.length > 0);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'connector', connector: { status: 'SuspendedEV', session: { energyWh: 2_000 } } });
    off();
  });

  it('a subscriber that blocks does not delay OCPP replies or the other subscribers', async () => {
    await startServer({ live: { coalesceMs: 0 } });
    await connect();
    await cp!.boot();
    const { transactionId } = await cp!.startTransaction({ connectorId: 1, idTag: 'DEMO-12345', meterStart: 0 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: LiveEvent[] = [];
    const fast: LiveEvent[] = [];
    const offSlow = live().subscribe((e) => {
      slow.push(e);
      return gate; // blocks until released
    }, { chargePointId: 'CP-1', connectorId: 1 });
    const offFast = live().subscribe((e) => void fast.push(e), { chargePointId: 'CP-1', connectorId: 1 });
    await cp!.meterValues({ connectorId: 1, transactionId, energyWh: 100 });
    await waitForLive(live(), () => slow.length === 1);
    // The slow subscriber is now blocked inside its first event: the charger's calls are still answered...
    for (let i = 2; i <= 5; i++) expect(await cp!.meterValues({ connectorId: 1, transactionId, energyWh: i * 100 })).toEqual({});
    expect(await cp!.heartbeat()).toHaveProperty('currentTime');
    // ...and the other subscriber sees every change.
    await waitForLive(live(), () => fast.some((e) => e.type === 'connector' && e.connector.session?.energyWh === 500));
    expect(slow).toHaveLength(1);
    release();
    // Once free, the slow one gets the latest state (intermediate ones skipped).
    await waitForLive(live(), () => slow.length >= 2);
    expect(slow.at(-1)).toMatchObject({ connector: { session: { energyWh: 500 } } });
    expect(slow.length).toBeLessThan(fast.length);
    offSlow();
    offFast();
    expect((live() as unknown as { subscriberCount: number }).subscriberCount).toBe(0);
  });
});
