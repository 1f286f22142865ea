import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import type { TestCsms } from '@charge-it/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChargePoint, type ChargePointHandle } from '../src/create-charge-point.js';
import { coreRows, edgeConfig, pollUntil, startCore, within } from './support/core-harness.js';
import { FakeMeter } from './support/fake-meter.js';
import { pendingOutbox, queuedSamples, readingsOnce } from './support/outbox-journal.js';
import { SessionLog } from './support/session-log.js';
import { removeDir, tempDir } from './support/test-charge-point.js';

describe('edge runtime against the real core: outage of the central system', () => {
  let dir: string;
  let server: TestCsms | undefined;
  let cp: ChargePointHandle | undefined;

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    await cp?.stop();
    cp = undefined;
    await server?.close();
    server = undefined;
    removeDir(dir);
  });

  it('charging and stopping offline, starting offline: after the core restarts every transaction is exactly right', async () => {
    const dataDir = join(dir, 'edge');
    server = await startCore(dir, { chargePoints: ['CP-1'], idTags: { 'CARD-1': 'Accepted' } });
    const port = server.port;
    const meter = new FakeMeter(10_000);
    meter.powerW = 7_000;
    const log = new SessionLog();
    cp = await createChargePoint(edgeConfig(server.ocppUrl, dataDir, { ocppConfig: { MeterValueSampleInterval: 1 } }), {
      log: silentLogger,
      plugins: [log.plugin],
      meterFactory: () => meter,
    });
    const edge = cp;
    await edge.start();
    const core = (): TestCsms => server as TestCsms;
    await pollUntil(async () => (await coreRows(core())).statuses.some((s) => s.connectorId === 1), 'connector 1 status in the core');

    // A: starts online, one MeterValues reaches the core.
    edge.plugIn(1);
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'started' });
    await pollUntil(() => edge.state.connectors[1]?.transaction?.transactionId !== undefined, 'A: transactionId from the core');
    meter.energyWh = 10_200;
    await pollUntil(async () => (await coreRows(core())).samples.length > 0, 'A: a MeterValues in the core');

    // The core goes down.
    await core().close();
    server = undefined;
    await pollUntil(() => !edge.state.online, 'edge offline');

    // A keeps charging offline (the register advances) and is stopped offline with the same card.
    for (let i = 1; i <= 3; i++) {
      meter.energyWh += 300;
      await pollUntil(() => edge.state.queuedMessages >= i, `A: ${i} MeterValues queued`);
    }
    meter.energyWh = 11_500;
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'stopped' });
    edge.unplug(1);

    // B: starts offline (card known from the cache), charges, stops offline.
    edge.plugIn(1);
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'started' });
    expect(edge.state.connectors[1]?.transaction?.transactionId).toBeUndefined();
    const queuedBeforeB = edge.state.queuedMessages;
    meter.energyWh = 11_800;
    await pollUntil(() => edge.state.queuedMessages >= queuedBeforeB + 2, 'B: 2 MeterValues queued');
    meter.energyWh = 12_000;
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'stopped' });
    edge.unplug(1);

    // C: starts offline and is still charging when the core comes back.
    edge.plugIn(1);
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'started' });
    const queuedBeforeC = edge.state.queuedMessages;
    meter.energyWh = 12_100;
    await pollUntil(() => edge.state.queuedMessages >= queuedBeforeC + 2, 'C: 2 MeterValues queued');

    const queued = pendingOutbox(dataDir);
    const [txA, txB, txC] = log.started.map((s) => s.txLocal);
    expect(log.started).toHaveLength(3);
    // What waits in the journal: A's offline samples and stop, then B and C from their start.
    expect(queued.map((m) => [m.action, m.txLocal])).toEqual([
      ...queued.filter((m) => m.txLocal === txA && m.action === 'MeterValues').map(() => ['MeterValues', txA]),
      ['StopTransaction', txA],
      ['StartTransaction', txB],
      ...queued.filter((m) => m.txLocal === txB && m.action === 'MeterValues').map(() => ['MeterValues', txB]),
      ['StopTransaction', txB],
      ['StartTransaction', txC],
      ...queued.filter((m) => m.txLocal === txC && m.action === 'MeterValues').map(() => ['MeterValues', txC]),
    ]);

    // The core comes back on the same port with the same database file.
    const restartedAt = new Date();
    server = await startCore(dir, { port });
    await pollUntil(() => edge.state.connectors[1]?.transaction?.transactionId !== undefined, 'C: real transactionId mapped');
    await within(edge.whenOutboxEmpty(), 'queued messages delivered');

    // C goes on online with its real id and is stopped online.
    meter.energyWh = 12_400;
    const cId = edge.state.connectors[1]!.transaction!.transactionId!;
    await pollUntil(async () => (await coreRows(core())).samples.some((s) => s.transaction === cId && s.value === 12_400), 'C: online MeterValues in the core');
    meter.energyWh = 12_500;
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'stopped' });
    await within(edge.whenOutboxEmpty(), 'C: StopTransaction delivered');
    await pollUntil(async () => (await coreRows(core())).statuses.some((s) => s.status === 'Finishing'), 'Finishing in the core');
    await core().csms.drain();

    const rows = await coreRows(core());
    expect(rows.orphans).toEqual([]);
    expect(rows.transactions).toHaveLength(3);
    const [a, b, c] = rows.transactions;
    const byLocal = new Map([
      [txA!, a!],
      [txB!, b!],
      [txC!, c!],
    ]);
    expect(c!.id).toBe(cId);
    const expected = {
      [txA!]: { meterStart: 10_000, meterStop: 11_500 },
      [txB!]: { meterStart: 11_500, meterStop: 12_000 },
      [txC!]: { meterStart: 12_000, meterStop: 12_500 },
    };
    for (const [txLocal, row] of byLocal) {
      const { started, stopped } = log.session(txLocal);
      const { meterStart, meterStop } = expected[txLocal]!;
      expect(row).toMatchObject({
        connectorId: 1,
        idTag: 'CARD-1',
        idTagStatus: 'Accepted',
        meterStart,
        meterStop,
        energyWh: meterStop - meterStart,
        stopReason: 'Local',
        stopIdTag: 'CARD-1',
        status: 'Completed',
      });
      expect(row.flags).toEqual([]);
      expect([started.meterStartWh, stopped.meterStopWh]).toEqual([meterStart, meterStop]);
      // The charge point's times, not the delivery times.
      expect(row.startTimestamp.toISOString()).toBe(started.timestamp);
      expect(row.stopTimestamp!.toISOString()).toBe(stopped.timestamp);
    }
    // A stopped, B started and stopped, C started while the core was down; the core received them after.
    for (const t of [a!.stopTimestamp!, b!.startTimestamp, b!.stopTimestamp!, c!.startTimestamp]) expect(t.getTime()).toBeLessThan(restartedAt.getTime());
    for (const t of [a!.stopReceivedAt!, b!.startReceivedAt, b!.stopReceivedAt!, c!.startReceivedAt]) expect(t.getTime()).toBeGreaterThanOrEqual(restartedAt.getTime());
    expect(a!.startReceivedAt.getTime()).toBeLessThan(restartedAt.getTime());

    // Every reading the charge point produced in this run is stored once, in the order it was
    // produced, attached to its own transaction: the journal holds every transaction message
    // this run queued (delivered ones included), oldest first. The periodic readings the Stop's
    // transactionData repeats are not stored again.
    expect(rows.samples.filter((s) => (s.flags ?? []).length > 0)).toEqual([]);
    const produced = readingsOnce(queuedSamples(pendingOutbox(dataDir, { includeDelivered: true })));
    expect(rows.samples.map((s) => [s.transaction, s.measurand, s.value, s.context, s.timestamp.toISOString()])).toEqual(
      produced.map((p) => [byLocal.get(p.txLocal!)!.id, p.measurand, p.value, p.context, p.timestamp]),
    );
    // The queued MeterValues arrived in order: their register never goes down within a transaction.
    for (const row of rows.transactions) {
      const own = rows.samples.filter((s) => s.transaction === row.id && s.measurand === 'Energy.Active.Import.Register');
      // MeterValues first, then the StopTransaction's transactionData from Transaction.Begin on.
      const live = own.slice(0, own.findIndex((s) => s.context === 'Transaction.Begin')).map((s) => Number(s.value));
      expect(live.length).toBeGreaterThan(0);
      expect([...live].sort((x, y) => x - y)).toEqual(live);
    }
    // Status: offline transitions are not queued (not transaction messages); on reconnect the
    // charge point reports its current status, then goes on.
    expect(rows.statuses.filter((s) => s.connectorId === 0).map((s) => s.status)).toEqual(['Available', 'Available']);
    expect(rows.statuses.filter((s) => s.connectorId === 1).map((s) => s.status)).toEqual(['Available', 'Preparing', 'Charging', 'Charging', 'Finishing']);
  });
  it('an offline start with a card the core does not know: the core answers Invalid, the edge stops it (DeAuthorized), all of it stored', async () => {
    const dataDir = join(dir, 'edge');
    server = await startCore(dir, { chargePoints: ['CP-1'], idTags: { 'CARD-1': 'Accepted' } });
    const port = server.port;
    const meter = new FakeMeter(50_000);
    const log = new SessionLog();
    cp = await createChargePoint(
      edgeConfig(server.ocppUrl, dataDir, { ocppConfig: { MeterValueSampleInterval: 1, AllowOfflineTxForUnknownId: true, StopTransactionOnInvalidId: true } }),
      { log: silentLogger, plugins: [log.plugin], meterFactory: () => meter },
    );
    const edge = cp;
    await edge.start();
    const core = (): TestCsms => server as TestCsms;
    await pollUntil(async () => (await coreRows(core())).statuses.some((s) => s.connectorId === 1), 'connector 1 status in the core');
    await core().close();
    server = undefined;
    await pollUntil(() => !edge.state.online, 'edge offline');

    // Offline, an unknown card may start (AllowOfflineTxForUnknownId).
    edge.plugIn(1);
    expect(await edge.presentCard({ idTag: 'CARD-X', source: 'test' })).toMatchObject({ result: 'started' });
    meter.energyWh = 50_300;
    await pollUntil(() => edge.state.queuedMessages >= 2, 'Start + a MeterValues queued');

    const restartedAt = new Date();
    server = await startCore(dir, { port });
    await pollUntil(() => log.stopped.length === 1, 'the edge stops the transaction after the Invalid StartTransaction.conf');
    await within(edge.whenOutboxEmpty(), 'outbox drained');
    await core().csms.drain();
    const { started, stopped } = log.session(log.started[0]!.txLocal);
    expect(stopped).toMatchObject({ reason: 'DeAuthorized', meterStartWh: 50_000, meterStopWh: 50_300 });

    const rows = await coreRows(core());
    expect(rows.orphans).toEqual([]);
    expect(rows.transactions).toHaveLength(1);
    const tx = rows.transactions[0]!;
    expect(tx).toMatchObject({
      idTag: 'CARD-X',
      idTagStatus: 'Invalid',
      meterStart: 50_000,
      meterStop: 50_300,
      energyWh: 300,
      stopReason: 'DeAuthorized',
      stopIdTag: 'CARD-X',
      status: 'Completed',
    });
    // Flagged for review; a core that bills no unauthorised session (setting off by default) adds not-billed.
    expect(tx.flags).toEqual(expect.arrayContaining(['id-tag-invalid', 'stop-id-tag-invalid']));
    expect(tx.flags.filter((f) => !['id-tag-invalid', 'stop-id-tag-invalid', 'not-billed'].includes(f))).toEqual([]);
    expect(tx.startTimestamp.toISOString()).toBe(started.timestamp);
    expect(tx.startTimestamp.getTime()).toBeLessThan(restartedAt.getTime());
    expect(tx.stopTimestamp!.toISOString()).toBe(stopped.timestamp);
    expect(tx.stopTimestamp!.getTime()).toBeGreaterThanOrEqual(restartedAt.getTime() - 1_000);
    const produced = readingsOnce(queuedSamples(pendingOutbox(dataDir, { includeDelivered: true })));
    expect(rows.samples.map((s) => [s.transaction, s.measurand, s.value, s.context, s.timestamp.toISOString()])).toEqual(
      produced.map((p) => [tx.id, p.measurand, p.value, p.context, p.timestamp]),
    );
    // The answer is cached: the card is refused from now on.
    expect(await edge.presentCard({ idTag: 'CARD-X', source: 'test' })).toMatchObject({ result: 'refused' });
  });
});
