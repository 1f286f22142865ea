import { describe, expect, it } from 'vitest';
import { until, useChargePointTestEnv } from './support/test-charge-point.js';

describe('edge runtime: outage of the central system', () => {
  const env = useChargePointTestEnv();

  it('keeps charging offline, stops offline, and delivers the queued messages in order with CP timestamps', async () => {
    const { csms } = env;
    const { cp, meters } = await env.start({ ocppConfig: { MeterValueSampleInterval: 1 } });
    const meter = meters[0]!;
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    cp.plugIn(1);
    await cp.presentCard({ idTag: 'CARD-A', source: 'test' });
    await csms.waitFor('StartTransaction');
    await until(() => cp.state.connectors[1]?.transaction?.transactionId === 100, 'transaction id');

    await csms.stop();
    await until(() => !cp.state.online, 'offline');
    const offlineFrom = Date.now();
    const before = csms.calls.length;
    // The meter keeps advancing while the link is down.
    for (let i = 1; i <= 3; i++) {
      meter.energyWh += 1000;
      await until(() => cp.state.queuedMessages >= i, `${i} queued MeterValues`);
    }
    meter.energyWh = 14_321;
    expect(await cp.presentCard({ idTag: 'CARD-A', source: 'test' })).toMatchObject({ result: 'stopped' });
    const queued = cp.state.queuedMessages;
    expect(queued).toBeGreaterThanOrEqual(4);
    const offlineTo = Date.now();

    await csms.restart();
    await csms.waitFor('StopTransaction');
    await until(() => cp.state.queuedMessages === 0, 'outbox drained');
    const after = csms.calls.slice(before).filter((c) => ['MeterValues', 'StopTransaction', 'StartTransaction'].includes(c.action));
    expect(after.length).toBe(queued);
    // Strict order: all MeterValues (oldest first), then the Stop; none of them duplicated.
    expect(after[after.length - 1]?.action).toBe('StopTransaction');
    const stamps = after.map((c) => Date.parse(c.action === 'MeterValues' ? c.params.meterValue[0].timestamp : c.params.timestamp));
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    // CP timestamps are from the offline period, not from the time of delivery.
    for (const s of stamps) {
      expect(s).toBeGreaterThanOrEqual(offlineFrom - 1500);
      expect(s).toBeLessThanOrEqual(offlineTo + 50);
    }
    for (const c of after) expect(c.params.transactionId).toBe(100);
    const registers = after
      .filter((c) => c.action === 'MeterValues')
      .map((c) => Number(c.params.meterValue[0].sampledValue.find((v: { measurand: string }) => v.measurand === 'Energy.Active.Import.Register').value));
    expect([...registers].sort((a, b) => a - b)).toEqual(registers);
    const stop = csms.callsOf('StopTransaction')[0]!;
    expect(stop.params).toMatchObject({ meterStop: 14_321, reason: 'Local' });
    expect(csms.callsOf('BootNotification')).toHaveLength(1);
  });

  it('a transaction started offline gets its real id mapped when StartTransaction is answered', async () => {
    const { csms } = env;
    const { cp, meters } = await env.start({ ocppConfig: { MeterValueSampleInterval: 1, LocalAuthorizeOffline: true } });
    const meter = meters[0]!;
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    // The card is known from an earlier Authorize (cache).
    cp.plugIn(1);
    await cp.presentCard({ idTag: 'CARD-A', source: 'test' });
    await csms.waitFor('StartTransaction');
    await cp.presentCard({ idTag: 'CARD-A', source: 'test' });
    await csms.waitFor('StopTransaction');
    await until(() => cp.state.queuedMessages === 0, 'drained');

    await csms.stop();
    await until(() => !cp.state.online, 'offline');
    meter.energyWh = 20_000;
    expect(await cp.presentCard({ idTag: 'CARD-A', source: 'test' })).toMatchObject({ result: 'started' });
    await until(() => cp.state.queuedMessages >= 3, 'Start + 2 MeterValues queued');
    expect(cp.state.connectors[1]?.transaction?.transactionId).toBeUndefined();
    meter.energyWh = 21_000;
    await cp.presentCard({ idTag: 'CARD-A', source: 'test' });

    csms.answer('StartTransaction', () => ({ transactionId: 555, idTagInfo: { status: 'Accepted' } }));
    const before = csms.calls.length;
    await csms.restart();
    await csms.waitFor('StopTransaction', () => true, 2);
    await until(() => cp.state.queuedMessages === 0, 'drained');
    const tx = csms.calls.slice(before).filter((c) => ['MeterValues', 'StopTransaction', 'StartTransaction'].includes(c.action));
    expect(tx[0]?.action).toBe('StartTransaction');
    expect(tx[0]?.params).toMatchObject({ meterStart: 20_000, idTag: 'CARD-A' });
    for (const c of tx.slice(1)) expect(c.params.transactionId).toBe(555);
    expect(tx[tx.length - 1]?.action).toBe('StopTransaction');
    expect(tx[tx.length - 1]?.params).toMatchObject({ meterStop: 21_000, transactionId: 555 });
  });

  it('retries a message the CS fails to process, then drops it after TransactionMessageAttempts', async () => {
    const { csms } = env;
    let failures = 0;
    csms.answer('StopTransaction', () => {
      failures++;
      throw new Error('database down');
    });
    const { cp } = await env.start({ ocppConfig: { TransactionMessageAttempts: 2, TransactionMessageRetryInterval: 1 } });
    const dropped: unknown[] = [];
    cp.on('dropped', (e) => dropped.push(e));
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    cp.plugIn(1);
    await cp.presentCard({ idTag: 'CARD-A', source: 'test' });
    await csms.waitFor('StartTransaction');
    await cp.presentCard({ idTag: 'CARD-A', source: 'test' });
    await csms.waitFor('StopTransaction', () => true, 2);
    await until(() => dropped.length === 1, 'dropped');
    expect(failures).toBe(2);
    expect(cp.state.queuedMessages).toBe(0);
  });
});
