import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../kernel/logger.js';
import type { MeterValue } from '../../ocpp/v16/messages.js';
import { InProcessLiveBus } from './live-bus.js';
import { LiveState } from './live-state.js';
import type { LiveEvent } from './live-types.js';
import { maskIdTag } from './mask-id-tag.js';
import { toPublicConnectorView } from './public-connector-view.js';

const TARIFF = { energyPricePerKwh: 2_000, pricePerMinute: 0, idleFeePerMinute: 0, idleGraceMinutes: 15, taxPercent: 10 };
const T0 = new Date('2026-12-06T08:00:00.000Z');

function energy(wh: number, at: Date, extra: MeterValue['sampledValue'] = []): MeterValue[] {
  return [{ timestamp: at.toISOString(), sampledValue: [{ value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' }, ...extra] }];
}

/** Lets every setImmediate-scheduled delivery run. */
const deliveries = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe('LiveState', () => {
  let now: Date;
  let bus: InProcessLiveBus;
  let live: LiveState;
  const make = (coalesceMs: number) => {
    bus = new InProcessLiveBus();
    live = new LiveState({ clock: { now: () => now }, log: silentLogger, bus, options: { coalesceMs, lastSessionMinutes: 30 } });
  };
  const start = (connectorId = 1, transactionId = 7) =>
    live.transactionStarted('CP-1', {
      transactionId,
      connectorId,
      idTag: 'DEMO-12345',
      meterStartWh: 1_000,
      startedAt: T0,
      startReceivedAt: T0,
      tariff: TARIFF,
      timeSource: 'charge-point',
    });

  beforeEach(() => {
    now = new Date(T0.getTime() + 60_000);
    make(1_000);
  });
  afterEach(() => {
    live.close();
    vi.useRealTimers();
  });

  it('tracks a session: energy from the register, power as the sum of the phases, current, SoC and cost so far', () => {
    live.connected('CP-1', T0, 'Accepted');
    start();
    live.meterValues('CP-1', 7, energy(6_000, now, [
      { value: '2.4', measurand: 'Power.Active.Import', unit: 'kW', phase: 'L1' },
      { value: '2400', measurand: 'Power.Active.Import', unit: 'W', phase: 'L2' },
      { value: '2400', measurand: 'Power.Active.Import', unit: 'W', phase: 'L3' },
      { value: '10.5', measurand: 'Current.Import', unit: 'A', phase: 'L1' },
      { value: '11', measurand: 'Current.Import', unit: 'A', phase: 'L2' },
      { value: '55', measurand: 'SoC', unit: 'Percent', location: 'EV' },
    ]), now);
    const c = live.connector('CP-1', 1)!;
    expect(c.session).toMatchObject({ transactionId: 7, energyWh: 5_000, powerW: 7_200, currentA: 11, socPercent: 55, meterStartWh: 1_000 });
    // 5 kWh × 2000 = 10000, + 10 % tax
    expect(c.session!.costIdr).toBe(11_000);
    expect(live.snapshot().site).toEqual({ powerW: 7_200, gridLimitW: null, sessionsRunning: 1, chargePointsOnline: 1, chargePointsTotal: 1 });
    expect(Object.isFrozen(c) && Object.isFrozen(c.session)).toBe(true);
  });

  it('ignores an older register reading and meter values of an unknown transaction', () => {
    start();
    live.meterValues('CP-1', 7, energy(5_000, new Date(T0.getTime() + 50_000)), now);
    live.meterValues('CP-1', 7, energy(4_000, new Date(T0.getTime() + 40_000)), now);
    live.meterValues('CP-1', 99, energy(90_000, now), now);
    live.meterValues('CP-1', null, energy(90_000, now), now);
    expect(live.connector('CP-1', 1)!.session!.energyWh).toBe(4_000);
  });

  it('keeps the last session after the stop, until the next start or its retention ends', () => {
    start();
    live.transactionStopped('CP-1', {
      transactionId: 7, connectorId: 1, idTag: 'DEMO-12345', startedAt: T0, stoppedAt: now, stopReceivedAt: now, energyWh: 3_000, costIdr: 6_600, stopReason: 'Local',
    });
    expect(live.connector('CP-1', 1)).toMatchObject({ session: null, lastSession: { transactionId: 7, energyWh: 3_000, costIdr: 6_600 } });
    now = new Date(now.getTime() + 31 * 60_000);
    expect(live.connector('CP-1', 1)!.lastSession).toBeNull();
  });

  it('coalesces a burst of meter values into one event per connector per interval, with the latest state', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    make(1_000);
    start();
    const events: LiveEvent[] = [];
    const off = live.subscribe((e) => void events.push(e), { chargePointId: 'CP-1', connectorId: 1 });
    for (let i = 1; i <= 100; i++) live.meterValues('CP-1', 7, energy(1_000 + i * 10, new Date(T0.getTime() + i * 1000)), now);
    await deliveries();
    expect(events).toHaveLength(0);
    expect(live.pendingEvents).toBe(1); // the connector (no power sent: the site did not change)
    vi.advanceTimersByTime(1_000);
    await deliveries();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'connector', connector: { session: { energyWh: 1_000 } } });
    // A status change goes out at once.
    live.statusChanged('CP-1', { connectorId: 1, status: 'SuspendedEV', errorCode: 'NoError' }, now);
    await deliveries();
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ connector: { status: 'SuspendedEV' } });
    off();
  });

  it('a blocked subscriber skips intermediate states and gets the latest; others are not held up', async () => {
    make(0);
    start();
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const slow: LiveEvent[] = [];
    const fast: LiveEvent[] = [];
    live.subscribe((e) => {
      slow.push(e);
      return blocked;
    }, { chargePointId: 'CP-1' });
    live.subscribe(() => {
      throw new Error('a broken subscriber');
    });
    live.subscribe((e) => void fast.push(e), { chargePointId: 'CP-1' });
    for (let i = 1; i <= 5; i++) {
      live.meterValues('CP-1', 7, energy(1_000 + i * 100, new Date(T0.getTime() + i * 1000)), now);
      await deliveries();
    }
    expect(fast).toHaveLength(5);
    expect(slow).toHaveLength(1);
    release();
    await deliveries();
    await deliveries();
    expect(slow).toHaveLength(2);
    expect(slow[1]).toMatchObject({ connector: { session: { energyWh: 500 } } });
  });

  it('builds no event while nobody listens (the bus says so); a bus that cannot tell is always published to', () => {
    const published: LiveEvent[] = [];
    let listening = false;
    const quiet = new LiveState({
      clock: { now: () => now },
      log: silentLogger,
      bus: { publish: (e) => void published.push(e), subscribe: () => () => {}, hasSubscribers: () => listening },
      options: { coalesceMs: 0, lastSessionMinutes: 30 },
    });
    const blind = new LiveState({
      clock: { now: () => now },
      log: silentLogger,
      bus: { publish: (e) => void published.push(e), subscribe: () => () => {} },
      options: { coalesceMs: 0, lastSessionMinutes: 30 },
    });
    try {
      quiet.connected('CP-1', T0, 'Accepted');
      quiet.statusChanged('CP-1', { connectorId: 1, status: 'Available', errorCode: 'NoError' }, T0);
      expect(published).toHaveLength(0);
      // The state itself is kept: a subscriber starts from it.
      expect(quiet.connector('CP-1', 1)).toMatchObject({ status: 'Available' });
      listening = true;
      quiet.statusChanged('CP-1', { connectorId: 1, status: 'Preparing', errorCode: 'NoError' }, now);
      expect(published.map((e) => e.type)).toContain('connector');
      published.length = 0;
      blind.connected('CP-2', T0, 'Accepted');
      expect(published.map((e) => e.type)).toContain('chargePoint');
    } finally {
      quiet.close();
      blind.close();
    }
    expect(new InProcessLiveBus().hasSubscribers()).toBe(false);
    const off = bus.subscribe(() => {});
    expect(bus.hasSubscribers()).toBe(true);
    off();
    expect(bus.hasSubscribers()).toBe(false);
  });

  it('unsubscribing frees the subscription, its buffer and its scheduled delivery', async () => {
    make(0);
    start();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
    const seen: LiveEvent[] = [];
    const offs = Array.from({ length: 20 }, () => live.subscribe((e) => void seen.push(e)));
    live.meterValues('CP-1', 7, energy(2_000, now), now);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length).toBeGreaterThan(before);
    for (const off of offs) off();
    expect(live.subscriberCount).toBe(0);
    expect(bus.size).toBe(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length).toBe(before);
    await deliveries();
    expect(seen).toHaveLength(0);
  });

  it('a charge point that reconnects without a Boot keeps its boot info and its stored registration', () => {
    live.load({
      siteMaxGridPowerKw: 22,
      chargePoints: [{ id: 'CP-1', registrationStatus: 'Accepted', vendor: 'V', model: 'M', firmwareVersion: '1.0', lastSeenAt: T0 }],
      connectors: [{ chargePointId: 'CP-1', connectorId: 1, status: 'Charging', errorCode: 'NoError', info: null, vendorErrorCode: null, since: T0 }],
      openSessions: [],
      lastSessions: [],
    });
    live.connected('CP-1', now, undefined);
    expect(live.chargePoint('CP-1')).toMatchObject({ connected: true, registrationStatus: 'Accepted', vendor: 'V', model: 'M', firmwareVersion: '1.0' });
    expect(live.snapshot().site.gridLimitW).toBe(22_000);
  });
});

describe('maskIdTag and the public view', () => {
  it('masks as the contract says', () => {
    expect(maskIdTag('DEMO-123')).toBe('DEMO••23');
    expect(maskIdTag('04A1B2C3D4E5F6')).toBe('04A1' + '•'.repeat(8) + 'F6');
    expect(maskIdTag('ABCDE')).toBe('A•••E');
    expect(maskIdTag('ABCD')).toBe('••••');
    expect(maskIdTag('')).toBe('');
  });

  it('shows one connector with the idTag masked', () => {
    const view = toPublicConnectorView(
      {
        chargePointId: 'CP-1', connectorId: 2, status: 'Charging', errorCode: 'NoError', info: 'x', vendorErrorCode: 'E1', since: T0.toISOString(),
        session: { transactionId: 3, idTag: 'SECRET-TAG-1', startedAt: T0.toISOString(), meterStartWh: 10, energyWh: 500, powerW: 3_000, currentA: 13, socPercent: null, costIdr: 1_100, updatedAt: T0.toISOString() },
        lastSession: null,
      },
      new Date(T0.getTime() + 90_500),
    );
    expect(view).toEqual({
      chargePointId: 'CP-1', connectorId: 2, status: 'Charging', since: T0.toISOString(),
      session: { transactionId: 3, idTagMasked: 'SECR••••••-1', startedAt: T0.toISOString(), durationS: 90, energyWh: 500, powerW: 3_000, socPercent: null, costIdr: 1_100, updatedAt: T0.toISOString() },
      lastSession: null,
    });
    expect(JSON.stringify(view)).not.toContain('SECRET');
  });
});
