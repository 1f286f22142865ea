import { silentLogger } from '@charge-it/core/kernel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChargePoint, type ChargePointHandle } from '../src/create-charge-point.js';
import type { EdgePlugin } from '../src/plugins/edge-plugin.js';
import { simulatedReader } from '../src/readers/simulated-reader.js';
import { stdinReader } from '../src/readers/stdin-reader.js';
import { createReaderTestContext, startFakeCentralSystem, type FakeCentralSystem } from '../src/testing/index.js';
import { FakeMeter } from './support/fake-meter.js';
import { removeDir, tempDir, until } from './support/test-charge-point.js';
import { PassThrough } from 'node:stream';

/* The public testing kit (`@charge-it/edge-runtime/testing`), used the way a plugin's tests use it:
 * a real charge point (createChargePoint) with a reader plugin against the fake central system. */

describe('@charge-it/edge-runtime/testing: startFakeCentralSystem', () => {
  let cs: FakeCentralSystem | undefined;
  let cp: ChargePointHandle | undefined;
  let dir: string;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await cp?.stop();
    cp = undefined;
    await cs?.close();
    cs = undefined;
    removeDir(dir);
  });

  const startCp = async (central: FakeCentralSystem, plugins: EdgePlugin[], meter = new FakeMeter(5_000), password?: string) => {
    cp = await createChargePoint(
      {
        identity: 'CP-KIT',
        csmsUrl: central.url,
        dataDir: dir,
        connectors: [{ maxPowerW: 7_400 }],
        boot: { chargePointVendor: 'Kit', chargePointModel: 'Test' },
        reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
        ocppConfig: { MeterValueSampleInterval: 0 },
        ...(password ? { password } : {}),
      },
      { log: silentLogger, plugins, meterFactory: () => meter },
    );
    await cp.start();
    return cp;
  };

  it('boots a charge point, answers Authorize/Start/Stop from the idTag table, keeps the transaction and records every call', async () => {
    cs = await startFakeCentralSystem({ idTags: { '04A23B1C': 'Accepted', BLOCKED1: 'Blocked' } });
    expect(cs.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const reader = simulatedReader();
    const meter = new FakeMeter(5_000);
    const handle = await startCp(cs, [reader], meter);
    const boot = await cs.waitFor('BootNotification');
    expect(boot).toMatchObject({ identity: 'CP-KIT', params: { chargePointVendor: 'Kit', chargePointModel: 'Test' }, response: { status: 'Accepted' } });
    await cs.until(() => cs?.statusOf('CP-KIT', 1) === 'Available', 'connector 1 Available');
    expect(cs.connected).toEqual(['CP-KIT']);

    // An unknown card and a blocked card are refused with the table's answer.
    expect(await reader.tap('UNKNOWN1')).toMatchObject({ result: 'refused', reason: expect.stringContaining('Invalid') });
    expect(await reader.tap('BLOCKED1')).toMatchObject({ result: 'refused', reason: expect.stringContaining('Blocked') });
    expect(cs.callsOf('Authorize').map((c) => [c.params.idTag, c.response?.idTagInfo.status])).toEqual([
      ['UNKNOWN1', 'Invalid'],
      ['BLOCKED1', 'Blocked'],
    ]);

    handle.plugIn(1);
    expect(await reader.tap('04:a2:3b:1c')).toMatchObject({ result: 'started', connectorId: 1 });
    const start = await cs.waitFor('StartTransaction');
    expect(start.params).toMatchObject({ connectorId: 1, idTag: '04A23B1C', meterStart: 5_000 });
    expect(start.response).toMatchObject({ transactionId: 1, idTagInfo: { status: 'Accepted' } });
    await cs.until(() => cs?.statusOf('CP-KIT', 1) === 'Charging', 'Charging');

    meter.energyWh = 6_250;
    expect(await reader.tap('04A23B1C')).toMatchObject({ result: 'stopped', connectorId: 1 });
    await cs.waitFor('StopTransaction');
    expect(cs.transactions).toEqual([
      expect.objectContaining({ transactionId: 1, identity: 'CP-KIT', connectorId: 1, idTag: '04A23B1C', meterStartWh: 5_000, meterStopWh: 6_250, stopReason: 'Local', startStatus: 'Accepted' }),
    ]);
    // StopTransaction.transactionData (Begin and End samples) lands on the transaction.
    expect(cs.transactions[0]?.meterValues.map((mv) => mv.sampledValue[0]?.context)).toEqual(['Transaction.Begin', 'Transaction.End']);
    expect(cs.calls.every((c) => c.identity === 'CP-KIT')).toBe(true);
  });

  it('setIdTag changes the table at run time; answer() replaces a built-in answer; call() reaches the charge point', async () => {
    cs = await startFakeCentralSystem({ firstTransactionId: 500 });
    const reader = simulatedReader();
    const handle = await startCp(cs, [reader]);
    await cs.waitFor('BootNotification');
    handle.plugIn(1);
    expect(await reader.tap('LATECARD')).toMatchObject({ result: 'refused' });
    cs.setIdTag('LATECARD', { status: 'Accepted', parentIdTag: 'FLEET' });
    cs.answer('StartTransaction', () => ({ transactionId: 777, idTagInfo: { status: 'Accepted', parentIdTag: 'FLEET' } }));
    // The refusal was cached by the charge point (AuthorizationCacheEnabled): clear it first, from the central system.
    expect(await cs.call('CP-KIT', 'ClearCache', {})).toEqual({ status: 'Accepted' });
    expect(await reader.tap('LATECARD')).toMatchObject({ result: 'started' });
    await cs.waitFor('StartTransaction');
    await until(() => handle.state.connectors[1]?.transaction?.transactionId === 777, 'transactionId 777 learnt');
    expect(await cs.call('CP-KIT', 'RemoteStopTransaction', { transactionId: 777 })).toEqual({ status: 'Accepted' });
    const stop = await cs.waitFor('StopTransaction', (p) => p.reason === 'Remote');
    expect(stop.params.transactionId).toBe(777);
    await expect(cs.call('NOBODY', 'Reset', { type: 'Soft' })).rejects.toThrow(/NOBODY is not connected/);
  });

  it('asks for a password when given one, and waitFor names what arrived when it times out', async () => {
    cs = await startFakeCentralSystem({ password: 'secret-key-1', bootStatus: 'Pending', heartbeatIntervalS: 30 });
    await startCp(cs, [], new FakeMeter(), 'wrong-key');
    await expect(cs.waitFor('BootNotification', undefined, { timeoutMs: 700 })).rejects.toThrow(/timed out after 700 ms waiting for 1× BootNotification; calls so far: none/);
    await cp?.stop();
    cp = undefined;
    removeDir(dir);
    dir = tempDir();
    await startCp(cs, [], new FakeMeter(), 'secret-key-1');
    const boot = await cs.waitFor('BootNotification');
    expect(boot.response).toMatchObject({ status: 'Pending', interval: 30 });
  });
});

describe('@charge-it/edge-runtime/testing: createReaderTestContext', () => {
  it('answers by the tap rule, records cards and outcomes, and closes a reader like the runtime', async () => {
    const input = new PassThrough();
    const ctx = createReaderTestContext();
    stdinReader({ input, debounceMs: 0 }).setup(ctx);
    input.write('aa:bb\nCC-DD\naabb\n');
    await until(() => ctx.outcomes.length === 3, '3 outcomes');
    expect(ctx.cards.map((c) => [c.idTag, c.source])).toEqual([
      ['AABB', 'stdin-reader'],
      ['CCDD', 'stdin-reader'],
      ['AABB', 'stdin-reader'],
    ]);
    expect(ctx.outcomes.map((o) => o.result)).toEqual(['started', 'refused', 'stopped']);
    await ctx.close();
    input.write('EEFF\n');
    await new Promise((r) => setImmediate(r));
    expect(ctx.cards).toHaveLength(3);
  });

  it('answers with options.presentCard when given', async () => {
    const order: string[] = [];
    const ctx = createReaderTestContext({ presentCard: (card) => ({ result: 'refused', reason: `no ${card.idTag}` }) });
    ctx.onClose(() => void order.push('first'));
    ctx.onClose(() => void order.push('second'));
    expect(await ctx.presentCard({ idTag: 'X1', source: 'test' })).toEqual({ result: 'refused', reason: 'no X1' });
    await ctx.close();
    expect(order).toEqual(['second', 'first']);
  });
});
