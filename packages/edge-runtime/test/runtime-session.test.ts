import { describe, expect, it } from 'vitest';
import { until, useChargePointTestEnv } from './support/test-charge-point.js';

describe('edge runtime: a full session against a scripted central system', () => {
  const env = useChargePointTestEnv();

  it('boots, reports status, charges with meterStart/meterStop from the register, and the same card stops', async () => {
    const { csms } = env;
    const { cp, meters } = await env.start({ ocppConfig: { MeterValueSampleInterval: 1, MeterValuesSampledData: 'Energy.Active.Import.Register,Power.Active.Import,Voltage,Power.Offered' } });
    const meter = meters[0]!;
    meter.energyWh = 12_345.4;
    const boot = await csms.waitFor('BootNotification');
    expect(boot.params).toMatchObject({ chargePointVendor: 'Charge-IT', chargePointModel: 'Test' });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 0 && p.status === 'Available');
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available');
    // BootNotification came first, before any other request.
    expect(csms.calls[0]?.action).toBe('BootNotification');

    cp.plugIn(1);
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Preparing');
    const started = await cp.presentCard({ idTag: 'CARD-A', source: 'test' });
    expect(started).toMatchObject({ result: 'started', connectorId: 1 });
    const start = await csms.waitFor('StartTransaction');
    expect(start.params).toMatchObject({ connectorId: 1, idTag: 'CARD-A', meterStart: 12_345 });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Charging');
    expect(meter.lastDemand).toEqual({ charging: true, limitW: 11_000 });

    meter.energyWh = 12_500;
    meter.powerW = 7_000;
    const mv = await csms.waitFor('MeterValues');
    expect(mv.params.transactionId).toBe(100);
    const values = mv.params.meterValue[0].sampledValue as Array<{ measurand: string; value: string; context: string }>;
    expect(values.find((v) => v.measurand === 'Energy.Active.Import.Register')?.value).toBe('12500');
    expect(values.find((v) => v.measurand === 'Power.Active.Import')?.value).toBe('7000');
    expect(values.find((v) => v.measurand === 'Power.Offered')?.value).toBe('11000');
    expect(values.filter((v) => v.measurand === 'Voltage')).toHaveLength(3);
    expect(values.every((v) => v.context === 'Sample.Periodic')).toBe(true);

    // Another card is refused while CARD-A charges on the only connector.
    expect(await cp.presentCard({ idTag: 'CARD-B', source: 'test' })).toMatchObject({ result: 'refused' });

    meter.energyWh = 19_876.6;
    expect(await cp.presentCard({ idTag: 'CARD-A', source: 'test' })).toMatchObject({ result: 'stopped', connectorId: 1 });
    const stop = await csms.waitFor('StopTransaction');
    expect(stop.params).toMatchObject({ transactionId: 100, meterStop: 19_877, reason: 'Local', idTag: 'CARD-A' });
    const data = stop.params.transactionData as Array<{ sampledValue: Array<{ context: string }> }>;
    expect(data[0]?.sampledValue[0]?.context).toBe('Transaction.Begin');
    expect(data[data.length - 1]?.sampledValue[0]?.context).toBe('Transaction.End');
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Finishing');
    cp.unplug(1);
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Available', 2);
    await until(() => cp.state.queuedMessages === 0, 'empty outbox');
    expect(cp.state.connectors[1]?.transaction).toBeUndefined();
  });

  it('card before cable: Preparing, then the plug starts the transaction; unplug stops it (EVDisconnected)', async () => {
    const { csms } = env;
    const { cp } = await env.start();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    expect(await cp.presentCard({ idTag: 'CARD-A', source: 'test' })).toMatchObject({ result: 'started' });
    await csms.waitFor('Authorize');
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'Preparing');
    expect(csms.callsOf('StartTransaction')).toHaveLength(0);
    cp.plugIn(1);
    await csms.waitFor('StartTransaction');
    cp.unplug(1);
    const stop = await csms.waitFor('StopTransaction');
    expect(stop.params.reason).toBe('EVDisconnected');
  });

  it('a card of the same parentIdTag stops; a card of another group is refused', async () => {
    const { csms } = env;
    csms.answer('Authorize', (p) => ({ idTagInfo: { status: 'Accepted', parentIdTag: p.idTag === 'OTHER' ? 'G2' : 'G1' } }));
    csms.answer('StartTransaction', () => ({ transactionId: 7, idTagInfo: { status: 'Accepted', parentIdTag: 'G1' } }));
    const { cp } = await env.start();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    cp.plugIn(1);
    expect(await cp.presentCard({ idTag: 'A1', source: 'test' })).toMatchObject({ result: 'started' });
    await csms.waitFor('StartTransaction');
    expect(await cp.presentCard({ idTag: 'OTHER', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await cp.presentCard({ idTag: 'A2', source: 'test' })).toMatchObject({ result: 'stopped' });
    const stop = await csms.waitFor('StopTransaction');
    expect(stop.params).toMatchObject({ transactionId: 7, idTag: 'A2', reason: 'Local' });
  });

  it('reconnects without a new BootNotification and re-sends the current status', async () => {
    const { csms } = env;
    const { cp } = await env.start();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    await csms.stop();
    await until(() => !cp.state.online, 'offline');
    await csms.restart();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1, 2);
    expect(csms.callsOf('BootNotification')).toHaveLength(1);
    expect(csms.connections.length).toBe(2);
  });
});
