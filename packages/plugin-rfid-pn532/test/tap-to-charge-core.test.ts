import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCsms, waitForLive, type TestCsms } from '@charge-it/core/testing';
import { createChargePoint, type CardOutcome, type ChargePointHandle } from '@charge-it/edge-runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pn532Reader, type Pn532CardEvent } from '../src/index.js';
import { Pn532Emulator } from '../src/testing/index.js';

/*
 * End to end, in one process, over a real websocket on 127.0.0.1: the real core (@charge-it/core,
 * SQLite file) as central system, the edge runtime as the charge point, the PN532 plugin polling
 * the byte-level emulator as its I2C bus. A tap on the emulator must become a transaction row in
 * the core's database, the same card must stop it, another card must be refused, and a reader
 * fault must show on the central system's connector 0 and clear.
 */

const CARD_A = '04A23B1C'; // MIFARE Classic, 4-byte UID: what the SPKLU cards are
const CARD_B = '04112233445566'; // 7-byte UID

async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tap to charge: PN532 emulator → edge runtime → real core', () => {
  let dir: string;
  let server: TestCsms;
  let cp: ChargePointHandle | undefined;
  let chip: Pn532Emulator;
  let events: Pn532CardEvent[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charge-it-pn532-e2e-'));
    server = await createTestCsms({
      databaseUrl: `sqlite:${join(dir, 'csms.db')}`,
      chargePoints: ['PI-PN532'],
      idTags: { [CARD_A]: 'Accepted', [CARD_B]: 'Accepted' },
    });
    chip = new Pn532Emulator({ asleep: true, busyPolls: 1 });
    events = [];
    const reader = pn532Reader({
      i2cBus: chip,
      connectorId: 1,
      pollIntervalMs: 10,
      backoff: { initialMs: 20, maxMs: 200 },
      driver: { statusPollMs: 1 },
      onCardPresented: (e) => void events.push(e),
    });
    cp = await createChargePoint(
      {
        identity: 'PI-PN532',
        csmsUrl: server.ocppUrl,
        dataDir: join(dir, 'edge'),
        // A plain outlet without a cable sensor: a tap starts charging at once.
        connectors: [{ maxPowerW: 7400, cable: 'always' }],
        boot: { chargePointVendor: 'Charge-IT', chargePointModel: 'Pi-PN532' },
        reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
        callTimeoutMs: 5_000,
        logLevel: 'silent',
      },
      { plugins: [reader] },
    );
    await cp.start();
  });

  afterEach(async () => {
    await cp?.stop();
    cp = undefined;
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const transactions = async () => (await server.csms.services.get('queries').transactions({ chargePointId: 'PI-PN532', sort: 'id', order: 'asc' })).items;
  const outcomeOf = (n: number): Promise<CardOutcome> => until(() => events[n]?.outcome, `the outcome of tap ${n + 1}`);
  const tap = async (uid: string): Promise<void> => {
    chip.placeCard(uid);
    await chip.whenPolled(2);
    chip.removeCard();
    await chip.whenPolled(3); // taken away for more than removalPolls: the next tap is new
  };

  it('a tap starts a transaction in the core, another card is refused, the same card stops it', async () => {
    const live = server.csms.services.get('live');
    await waitForLive(live, (s) => s.chargePoints.find((c) => c.id === 'PI-PN532')?.connectors.find((c) => c.connectorId === 1)?.status === 'Available', {
      timeoutMs: 20_000,
    });

    await tap(CARD_A);
    expect(await outcomeOf(0)).toMatchObject({ result: 'started', connectorId: 1 });
    const [started] = await until(async () => ((await transactions()).length === 1 ? transactions() : null), 'the transaction row');
    expect(started).toMatchObject({ chargePointId: 'PI-PN532', connectorId: 1, idTag: CARD_A, status: 'Active' });
    await waitForLive(live, (s) => s.chargePoints.find((c) => c.id === 'PI-PN532')?.connectors.find((c) => c.connectorId === 1)?.status === 'Charging', {
      timeoutMs: 20_000,
    });

    await tap(CARD_B); // a known card, but the only connector is busy
    expect(await outcomeOf(1)).toMatchObject({ result: 'refused' });
    expect(events[1]).toMatchObject({ uid: CARD_B, idTag: CARD_B });

    await tap(CARD_A);
    expect(await outcomeOf(2)).toMatchObject({ result: 'stopped', connectorId: 1 });
    const [stopped] = await until(async () => {
      const rows = await transactions();
      return rows[0]?.status === 'Completed' ? rows : null;
    }, 'the stopped transaction');
    expect(stopped).toMatchObject({ id: started!.id, idTag: CARD_A, status: 'Completed', stopReason: 'Local' });
    expect(stopped!.meterStop).toBeGreaterThanOrEqual(stopped!.meterStart);
    expect(await transactions()).toHaveLength(1); // the refused card made no row
    expect(events.map((e) => e.outcome.result)).toEqual(['started', 'refused', 'stopped']);
  });

  it('offline: a card the central system accepted before starts from the cache; the row reaches the core when it is back', async () => {
    await until(() => cp!.state.boot === 'Accepted', 'boot');
    await tap(CARD_A);
    expect(await outcomeOf(0)).toMatchObject({ result: 'started' });
    await tap(CARD_A);
    expect(await outcomeOf(1)).toMatchObject({ result: 'stopped' });
    await until(async () => (await transactions())[0]?.status === 'Completed', 'the first session stored');

    const port = server.port;
    await server.close(); // the central system goes down (its database file stays)
    await until(() => !cp!.state.online, 'the charge point offline');
    await tap(CARD_A); // authorised from the cache (LocalAuthorizeOffline)
    expect(await outcomeOf(2)).toMatchObject({ result: 'started', connectorId: 1 });
    await tap(CARD_A);
    expect(await outcomeOf(3)).toMatchObject({ result: 'stopped' });
    await tap(CARD_B); // never seen by this charge point: not in the cache, refused offline
    expect(await outcomeOf(4)).toMatchObject({ result: 'refused' });

    server = await createTestCsms({ databaseUrl: `sqlite:${join(dir, 'csms.db')}`, port });
    const rows = await until(async () => {
      const all = await transactions();
      return all.length === 2 && all[1]?.status === 'Completed' ? all : null;
    }, 'the offline session delivered from the outbox');
    expect(rows[1]).toMatchObject({ idTag: CARD_A, connectorId: 1, stopReason: 'Local' });
  });

  it('an unknown card is refused by the central system', async () => {
    await until(() => cp!.state.boot === 'Accepted', 'boot');
    await tap('DEADBEEF');
    expect(await outcomeOf(0)).toMatchObject({ result: 'refused', reason: expect.stringMatching(/Invalid/) });
    expect(await transactions()).toHaveLength(0);
  });

  it('a reader fault appears on the central system (connector 0 info, vendorErrorCode) and clears on recovery', async () => {
    const live = server.csms.services.get('live');
    const zero = () => live.connector('PI-PN532', 0);
    await until(() => zero()?.status === 'Available', 'connector 0 in the core');
    expect(cp!.state.health['pn532-reader']).toMatchObject({ ok: true, details: { firmware: '1.6' } });

    chip.disconnect(); // wires off
    const failing = await until(() => (zero()?.errorCode === 'ReaderFailure' ? zero() : null), 'the reader fault on connector 0');
    expect(failing).toMatchObject({ status: 'Available', info: 'PN532: no answer on I2C', vendorErrorCode: 'PN532_ERR_NO_DEVICE' });
    expect(cp!.state.health['pn532-reader']).toMatchObject({ ok: false, errorCode: 'ReaderFailure' });
    // The stored status history has it too.
    const history = await server.csms.services.get('queries').statusHistory('PI-PN532', { connectorId: 0 });
    expect(history.some((h) => h.errorCode === 'ReaderFailure' && h.vendorErrorCode === 'PN532_ERR_NO_DEVICE')).toBe(true);

    chip.reconnect(); // back, as after power-on
    const cleared = await until(() => (zero()?.errorCode === 'NoError' ? zero() : null), 'the fault cleared');
    expect(cleared.info).toBeNull();
    expect(cp!.state.health['pn532-reader']).toMatchObject({ ok: true });
    await tap(CARD_A);
    expect(await outcomeOf(0)).toMatchObject({ result: 'started' });
  });
});
