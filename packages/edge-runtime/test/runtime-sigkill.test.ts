import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildChargePoint } from './support/child-charge-point.js';
import { testConfig, useChargePointTestEnv } from './support/test-charge-point.js';

describe('edge runtime: SIGKILL durability of the outbox', () => {
  const env = useChargePointTestEnv();
  const children: ChildChargePoint[] = [];

  // Runs before the env's own afterEach (vitest runs after-hooks in reverse): no child outlives the dir.
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill9();
      await c.exited();
    }
  });

  it('kill -9 with queued messages and a running transaction: after restart nothing is lost, nothing duplicated', async () => {
    const { csms, dir } = env;
    const meterFile = join(dir, 'meter.json');
    const setMeter = (wh: number): void => writeFileSync(meterFile, JSON.stringify({ energyWh: wh }));
    setMeter(1_000);
    const config = testConfig(csms, join(dir, 'data'), {
      ocppConfig: { MeterValueSampleInterval: 1, AllowOfflineTxForUnknownId: true, LocalAuthorizeOffline: true },
    });
    const childEnv = { CHILD_CONFIG: JSON.stringify(config), CHILD_METER_FILE: meterFile };

    const first = new ChildChargePoint(childEnv);
    children.push(first);
    await first.next('ready');
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);

    // Outage: everything from here is queued in the journal only.
    await csms.stop();
    await first.waitState((s) => !s.online, 'offline');
    first.send('plug 1');
    expect(await first.card('CARD-A')).toMatchObject({ result: 'started' });
    setMeter(1_400);
    await first.waitState((s) => s.queued >= 3, 'Start + 2 MeterValues queued');
    setMeter(1_500);
    expect(await first.card('CARD-A')).toMatchObject({ result: 'stopped' });
    expect(await first.card('CARD-B')).toMatchObject({ result: 'started' });
    setMeter(1_650);
    const before = await first.state();
    await first.waitState((s) => s.queued >= before.queued + 2, 'B: two more MeterValues queued');
    const queuedAtKill = (await first.state()).queued;
    first.kill9();
    await first.exited();

    // Restart from the same dataDir, CS back.
    setMeter(1_700);
    await csms.restart();
    const second = new ChildChargePoint(childEnv);
    children.push(second);
    await second.next('ready');
    await csms.waitFor('StopTransaction', () => true, 2, 20_000);
    await second.waitState((s) => s.queued === 0 && s.online, 'outbox drained');

    const tx = csms.calls.filter((c) => ['StartTransaction', 'StopTransaction', 'MeterValues'].includes(c.action));
    // Everything queued before the kill, plus the PowerLoss stop of the transaction that was running.
    expect(tx.length).toBeGreaterThanOrEqual(queuedAtKill + 1);
    const keys = tx.map((c) => JSON.stringify([c.action, c.params]));
    expect(new Set(keys).size).toBe(keys.length);
    expect(tx.map((c) => c.action).filter((a) => a !== 'MeterValues')).toEqual(['StartTransaction', 'StopTransaction', 'StartTransaction', 'StopTransaction']);
    const [startA, stopA, startB, stopB] = tx.filter((c) => c.action !== 'MeterValues');
    expect(startA?.params).toMatchObject({ idTag: 'CARD-A', meterStart: 1_000 });
    expect(stopA?.params).toMatchObject({ meterStop: 1_500, reason: 'Local', transactionId: 100 });
    expect(startB?.params).toMatchObject({ idTag: 'CARD-B', meterStart: 1_500 });
    expect(stopB?.params).toMatchObject({ meterStop: 1_700, reason: 'PowerLoss', transactionId: 101 });
    // Each MeterValues carries the id of its own transaction, in time order.
    const stamps = tx.map((c) => Date.parse(c.action === 'MeterValues' ? c.params.meterValue[0].timestamp : c.params.timestamp));
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    const startBIndex = tx.indexOf(startB!);
    for (const [i, c] of tx.entries()) if (c.action === 'MeterValues') expect(c.params.transactionId).toBe(i < startBIndex ? 100 : 101);
  }, 60_000);
});
