import { describe, expect, it } from 'vitest';
import { defineEdgePlugin, type EdgePluginContext } from '../src/plugins/edge-plugin.js';
import { until, useChargePointTestEnv } from './support/test-charge-point.js';

describe('edge runtime: plugins and hooks; clock-aligned meter values', () => {
  const env = useChargePointTestEnv();

  it('a reader plugin taps cards through ctx.presentCard; observe hooks see the session in order', async () => {
    const { csms } = env;
    const seen: string[] = [];
    let ctx: EdgePluginContext | undefined;
    let closed = false;
    const reader = defineEdgePlugin({
      name: 'test-reader',
      hooks: {
        onCardPresented: ({ card }) => void seen.push(`card:${card.idTag}`),
        onSessionStarted: (e) => void seen.push(`started:${e.meterStartWh}`),
        onMeterSample: () => void (seen.includes('sample') || seen.push('sample')),
        onSessionStopped: (e) => void seen.push(`stopped:${e.reason}:${e.meterStopWh}:${e.transactionId}`),
        onConnectionChanged: (e) => void (seen.includes(`online:${e.online}`) || seen.push(`online:${e.online}`)),
      },
      setup(c) {
        ctx = c;
        c.onClose(() => {
          closed = true;
        });
      },
    });
    const t = await env.start({ ocppConfig: { MeterValueSampleInterval: 1 } }, { plugins: [reader] });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    expect(ctx?.identity).toBe('CP-1');
    t.cp.plugIn(1);
    expect(await ctx!.presentCard({ idTag: 'TAG', source: 'test-reader' })).toMatchObject({ result: 'started', connectorId: 1 });
    expect(ctx!.chargePoint.connectors[1]?.transaction?.idTag).toBe('TAG');
    await csms.waitFor('MeterValues');
    t.meters[0]!.energyWh = 10_500;
    expect(await ctx!.presentCard({ idTag: 'TAG', source: 'test-reader' })).toMatchObject({ result: 'stopped' });
    await until(() => seen.some((s) => s.startsWith('stopped')), 'stopped hook');
    expect(seen).toEqual(['online:true', 'card:TAG', 'started:10000', 'sample', 'card:TAG', 'stopped:Local:10500:100']);
    await t.cp.stop();
    expect(closed).toBe(true);
  });

  it('reportHealth: a failing plugin shows in the view and on connector 0 (info, vendorErrorCode), recovery clears it', async () => {
    const { csms } = env;
    let ctx: EdgePluginContext | undefined;
    const reader = defineEdgePlugin({ name: 'hw-reader', setup: (c) => void (ctx = c) });
    const t = await env.start({}, { plugins: [reader] });
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 0);
    const healthEvents: unknown[] = [];
    t.cp.on('health', (...args) => void healthEvents.push(args));
    const zeroStatuses = () => csms.calls.filter((c) => c.action === 'StatusNotification' && c.params.connectorId === 0).length;
    const before = zeroStatuses();
    const zeroNoError = (p: Record<string, unknown>) => p.connectorId === 0 && p.errorCode === 'NoError';
    const noErrorBefore = csms.calls.filter((c) => c.action === 'StatusNotification' && zeroNoError(c.params)).length;

    ctx!.reportHealth({ ok: true, details: { firmware: '1.6' } }); // first report, all well: nothing sent
    ctx!.reportHealth({ ok: false, errorCode: 'ReaderFailure', info: 'PN532: no answer on I2C', vendorErrorCode: 'PN532_ERR_NO_DEVICE' });
    const failing = await csms.waitFor('StatusNotification', (p) => p.connectorId === 0 && p.errorCode === 'ReaderFailure');
    expect(failing.params).toMatchObject({ status: 'Available', info: 'PN532: no answer on I2C', vendorErrorCode: 'PN532_ERR_NO_DEVICE' });
    expect(t.cp.state.health['hw-reader']).toMatchObject({ ok: false, errorCode: 'ReaderFailure', since: expect.any(String) });
    ctx!.reportHealth({ ok: false, errorCode: 'ReaderFailure', info: 'PN532: no answer on I2C', vendorErrorCode: 'PN532_ERR_NO_DEVICE' }); // repeat: not resent
    ctx!.reportHealth({ ok: true, details: { firmware: '1.6' } });
    const cleared = await csms.waitFor('StatusNotification', zeroNoError, noErrorBefore + 1);
    expect(cleared.params.info).toBeUndefined();
    expect(zeroStatuses()).toBe(before + 2);
    expect(t.cp.state.health['hw-reader']).toMatchObject({ ok: true, details: { firmware: '1.6' } });
    expect(healthEvents.map((e) => (e as [string, { ok: boolean }])[1].ok)).toEqual([true, false, true]);
    // A failing reader does not stop charging: a card still starts a session.
    t.cp.plugIn(1);
    ctx!.reportHealth({ ok: false, errorCode: 'ReaderFailure', info: 'x' });
    expect(await ctx!.presentCard({ idTag: 'TAG', source: 'hw-reader' })).toMatchObject({ result: 'started' });
  });

  it('ClockAlignedDataInterval sends Sample.Clock meter values through the outbox', async () => {
    const { csms } = env;
    await env.start({ ocppConfig: { ClockAlignedDataInterval: 1, MeterValuesAlignedData: 'Energy.Active.Import.Register,Voltage' } });
    const mv = await csms.waitFor('MeterValues', () => true, 1, 5_000);
    expect(mv.params.connectorId).toBe(1);
    expect(mv.params.transactionId).toBeUndefined();
    const sv = mv.params.meterValue[0].sampledValue as Array<{ context: string; measurand: string }>;
    expect(new Set(sv.map((v) => v.context))).toEqual(new Set(['Sample.Clock']));
    expect(sv.map((v) => v.measurand)).toEqual(['Energy.Active.Import.Register', 'Voltage', 'Voltage', 'Voltage']);
  });
});
