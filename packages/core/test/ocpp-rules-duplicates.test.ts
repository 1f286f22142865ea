/**
 * Case-insensitive idTags (OCPP 1.6 IdToken) and resent MeterValues (a charger that lost our
 * answer sends the same message again) behave the same on SQLite and MariaDB.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resendKey } from '../src/domain/transactions/transaction-service.js';
import { MeterSampleSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import { RawClient } from './gateway-fixtures.js';
import { at, closeRulesHarnesses, repliesTo, replyTo, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('OCPP rules: duplicates and letter case on $name', (db) => {
  it('matches idTags case-insensitively', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { 'DEMO-123': 'Accepted', 'Blocked-1': 'Blocked' } });
    const cp = await h.connect('CP-1');
    expect(await cp.authorize('demo-123')).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(await cp.authorize('BLOCKED-1')).toEqual({ idTagInfo: { status: 'Blocked' } });
    expect(await cp.authorize('demo-12_')).toEqual({ idTagInfo: { status: 'Invalid' } });
  });

  it('stores a resent identical MeterValues once, and a new one again', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 100, timestamp: at(0) });
    const message = { transactionId, energyWh: 150, timestamp: at(60) };
    expect(await cp.meterValues(message)).toEqual({});
    expect(await cp.meterValues(message)).toEqual({});
    expect(await cp.meterValues({ transactionId, energyWh: 200, timestamp: at(120) })).toEqual({});
    // Same timestamp, another reading: not a resend.
    expect(await cp.meterValues({ transactionId, energyWh: 210, timestamp: at(120) })).toEqual({});
    // The first one again, after others: still recognised; so is the second one of a timestamp.
    expect(await cp.meterValues(message)).toEqual({});
    expect(await cp.meterValues({ transactionId, energyWh: 210, timestamp: at(120) })).toEqual({});
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.map((s) => s.value)).toEqual([150, 200, 210]);
  });

  it('two different MeterValues that share a resend key (a hash) are both stored: a match is checked against the stored samples', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
    const [first, second] = readingsSharingAKey(transactionId);
    expect(await cp.meterValues({ transactionId, energyWh: first, timestamp: at(60) })).toEqual({});
    expect(await cp.meterValues({ transactionId, energyWh: second, timestamp: at(60) })).toEqual({}); // same key, another reading
    expect(await cp.meterValues({ transactionId, energyWh: second, timestamp: at(60) })).toEqual({}); // a real resend of it
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.map((s) => s.value)).toEqual([first, second]);
  });

  it('stores a MeterValues sent again under a new message id while the first is still being committed once', async () => {
    const { h, raw, transactionId } = await rawChargerInTransaction(db);
    // Pipelined: the copy arrives before the first is committed (a charger that gave up waiting).
    raw.send([2, 'mv-a', 'MeterValues', meterValues(transactionId, 150)]);
    raw.send([2, 'mv-b', 'MeterValues', meterValues(transactionId, 150)]);
    const replies = await repliesTo(raw, ['mv-a', 'mv-b']);
    expect([...replies.values()].flat()).toEqual([[3, 'mv-a', {}], [3, 'mv-b', {}]]);
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.map((s) => s.value)).toEqual([150]);
    await raw.close();
  });

  it('a copy of a MeterValues whose key matched an earlier one, sent while it is being committed, is stored once', async () => {
    const { h, raw, transactionId } = await rawChargerInTransaction(db);
    const [first, second] = readingsSharingAKey(transactionId);
    raw.send([2, 'mv-1', 'MeterValues', meterValues(transactionId, first)]);
    expect(await replyTo(raw, 'mv-1')).toEqual([3, 'mv-1', {}]);
    // `second` shares the key of `first` (so it is checked against the stored samples), and its copy
    // follows before it is committed: the copy's check must see it.
    raw.send([2, 'mv-2', 'MeterValues', meterValues(transactionId, second)]);
    raw.send([2, 'mv-2-copy', 'MeterValues', meterValues(transactionId, second)]);
    const replies = await repliesTo(raw, ['mv-2', 'mv-2-copy']);
    expect([...replies.values()].flat()).toEqual([[3, 'mv-2', {}], [3, 'mv-2-copy', {}]]);
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.map((s) => s.value)).toEqual([first, second]);
    await raw.close();
  });

  it('after a restart (the transaction no longer in memory), a MeterValues and a copy sent before it is committed are stored once', async () => {
    const { h, raw, transactionId } = await rawChargerInTransaction(db);
    raw.send([2, 'mv-0', 'MeterValues', meterValues(transactionId, 100)]);
    expect(await replyTo(raw, 'mv-0')).toEqual([3, 'mv-0', {}]);
    await raw.close();
    await h.restart();
    const again = await RawClient.connect(h.server.port, 'CP-1');
    again.send([2, 'boot', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' }]);
    expect((await replyTo(again, 'boot'))[0]).toBe(3);
    again.send([2, 'mv-a', 'MeterValues', meterValues(transactionId, 150)]);
    again.send([2, 'mv-b', 'MeterValues', meterValues(transactionId, 150)]);
    const replies = await repliesTo(again, ['mv-a', 'mv-b']);
    expect([...replies.values()].flat()).toEqual([[3, 'mv-a', {}], [3, 'mv-b', {}]]);
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.map((s) => s.value)).toEqual([100, 150]);
    await again.close();
  });

  it('a StopTransaction pipelined right behind a MeterValues sees it: a reading repeated in transactionData is stored once', async () => {
    const { h, raw, transactionId } = await rawChargerInTransaction(db);
    raw.send([2, 'mv', 'MeterValues', meterValues(transactionId, 1100)]);
    raw.send([2, 'stop', 'StopTransaction', {
      transactionId,
      meterStop: 1200,
      timestamp: at(120),
      transactionData: [...meterValues(transactionId, 1100).meterValue, { timestamp: at(120), sampledValue: [{ value: '1200', context: 'Transaction.End' }] }],
    }]);
    const replies = await repliesTo(raw, ['mv', 'stop']);
    expect([...replies.values()].flat().map((frame) => frame[0])).toEqual([3, 3]);
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.map((s) => s.value).sort()).toEqual([1100, 1200]);
    await raw.close();
  });

  it('remembers the last 16 MeterValues per transaction: memory stays bounded, an older resend is stored again', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
    for (let i = 1; i <= 17; i++) await cp.meterValues({ transactionId, energyWh: i * 10, timestamp: at(i) });
    await cp.meterValues({ transactionId, energyWh: 20, timestamp: at(2) }); // 16 timestamps back: recognised
    await cp.meterValues({ transactionId, energyWh: 10, timestamp: at(1) }); // 17 back: forgotten, stored
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.map((s) => s.value)).toEqual([...Array.from({ length: 17 }, (_, i) => (i + 1) * 10), 10]);
  });

  it('does not flag the history in StopTransaction.transactionData as a register going backwards', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1000, timestamp: at(0) });
    await cp.meterValues({ transactionId, energyWh: 1100, timestamp: at(60) });
    await cp.stopTransaction({
      transactionId,
      meterStop: 1200,
      timestamp: at(120),
      transactionData: [
        { timestamp: at(0), sampledValue: [{ value: '1000', context: 'Transaction.Begin' }] },
        { timestamp: at(60), sampledValue: [{ value: '1100' }] },
        { timestamp: at(120), sampledValue: [{ value: '1200', context: 'Transaction.End' }] },
      ],
    });
    const tx = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });
    expect(tx.flags).toEqual([]);
    const samples = await h.samples({ transaction: transactionId });
    expect(samples.every((s) => s.flags === null)).toBe(true);
    // The 1100 reading repeated in transactionData is the one MeterValues carried: stored once.
    expect(samples.map((s) => [s.timestamp.toISOString(), s.value, s.context])).toEqual([
      [at(60), 1100, 'Sample.Periodic'],
      [at(0), 1000, 'Transaction.Begin'],
      [at(120), 1200, 'Transaction.End'],
    ]);
  });
});

/** The MeterValues the tests send: one energy register reading at a fixed time. */
function meterValues(transactionId: number, energyWh: number) {
  return {
    connectorId: 1,
    transactionId,
    meterValue: [{ timestamp: at(60), sampledValue: [{ value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' }] }],
  };
}

/** Two readings whose messages (`meterValues`) share a resend key. */
function readingsSharingAKey(transactionId: number): [number, number] {
  const seen = new Map<number, number>();
  for (let wh = 1; wh < 2_000_000; wh++) {
    const key = resendKey(meterValues(transactionId, wh) as never);
    const earlier = seen.get(key);
    if (earlier !== undefined) return [earlier, wh];
    seen.set(key, wh);
  }
  throw new Error('no two readings share a key');
}

/** A CSMS with CP-1 connected over a raw websocket (frames can be pipelined), booted, in a transaction. */
async function rawChargerInTransaction(db: Parameters<typeof startRules>[0]): Promise<{ h: RulesHarness; raw: RawClient; transactionId: number }> {
  const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
  const raw = await RawClient.connect(h.server.port, 'CP-1');
  raw.send([2, 'boot', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' }]);
  expect((await replyTo(raw, 'boot'))[0]).toBe(3);
  raw.send([2, 'start', 'StartTransaction', { connectorId: 1, idTag: 'TAG', meterStart: 0, timestamp: at(0) }]);
  const started = await replyTo(raw, 'start');
  const { transactionId } = started[2] as { transactionId: number };
  return { h, raw, transactionId };
}
