import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import { EventRecorder, type TestCsms } from '@charge-it/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChargePoint, type ChargePointHandle } from '../src/create-charge-point.js';
import { SimulatedMeter } from '../src/meter/simulated-meter.js';
import { coreRows, edgeConfig, pollUntil, startCore, within } from './support/core-harness.js';
import { RecordingMeter } from './support/recording-meter.js';
import { SessionLog } from './support/session-log.js';
import { removeDir, tempDir } from './support/test-charge-point.js';

/** 72 kW flat: the register moves 20 Wh a second, so a few 1 s samples show real energy. */
const POWER_W = 72_000;
const MEASURANDS = 'Energy.Active.Import.Register,Power.Active.Import,Power.Offered,Current.Import,Voltage,Frequency,Temperature,SoC';

describe('edge runtime against the real core: a full session', () => {
  let dir: string;
  let server: TestCsms;
  let recorder: EventRecorder;
  let cp: ChargePointHandle | undefined;
  let meter: RecordingMeter;
  let log: SessionLog;

  beforeEach(async () => {
    dir = tempDir();
    recorder = new EventRecorder();
    server = await startCore(dir, { chargePoints: ['CP-1'], idTags: { 'CARD-1': 'Accepted' }, plugins: [recorder.plugin] });
    meter = new RecordingMeter(
      new SimulatedMeter(
        { kind: 'simulated', maxPowerW: POWER_W, curve: [{ atSeconds: 0, powerW: POWER_W }], batteryWh: 10_000_000, startRegisterWh: 250_000, stateFile: join(dir, 'edge', 'meter-1.json') },
        { log: silentLogger },
      ),
    );
    log = new SessionLog();
    cp = await createChargePoint(
      edgeConfig(server.ocppUrl, join(dir, 'edge'), {
        connectors: [{ maxPowerW: POWER_W }],
        ocppConfig: { MeterValueSampleInterval: 1, MeterValuesSampledData: MEASURANDS },
      }),
      { log: silentLogger, plugins: [log.plugin], meterFactory: () => meter },
    );
    await cp.start();
  });

  afterEach(async () => {
    await cp?.stop();
    cp = undefined;
    await server.close();
    removeDir(dir);
  });

  const statusesOf = async (connectorId: number): Promise<string[]> =>
    (await coreRows(server)).statuses.filter((s) => s.connectorId === connectorId).map((s) => s.status);

  it('boot, card start, meter values, same card stop: the core stores exactly what the charge point measured', async () => {
    const edge = cp!;
    await pollUntil(async () => (await statusesOf(1)).includes('Available'), 'connector 1 Available in the core');
    expect(edge.state.boot).toBe('Accepted');

    edge.plugIn(1);
    await pollUntil(async () => (await statusesOf(1)).includes('Preparing'), 'Preparing in the core');
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'started', connectorId: 1 });
    await pollUntil(() => edge.state.connectors[1]?.transaction?.transactionId !== undefined, 'transactionId from the core');
    const transactionId = edge.state.connectors[1]!.transaction!.transactionId!;
    // A few periodic samples reach the core while charging.
    await pollUntil(() => recorder.of('onMeterValues').filter((e) => e.transactionId === transactionId).length >= 3, '3 MeterValues in the core');

    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'stopped', connectorId: 1 });
    await pollUntil(async () => (await statusesOf(1)).includes('Finishing'), 'Finishing in the core');
    edge.unplug(1);
    await pollUntil(async () => (await statusesOf(1)).length === 5, 'Available again in the core');
    await within(edge.whenOutboxEmpty(), 'outbox empty');
    await server.csms.drain();
    await pollUntil(() => log.stopped.length === 1, 'onSessionStopped on the edge');

    const { started, stopped } = log.session(log.started[0]!.txLocal);
    const rows = await coreRows(server);

    // One transaction, closed with what the charge point read and when (its clock).
    expect(rows.transactions).toHaveLength(1);
    const tx = rows.transactions[0]!;
    expect(tx).toMatchObject({
      id: transactionId,
      connectorId: 1,
      idTag: 'CARD-1',
      idTagStatus: 'Accepted',
      meterStart: started.meterStartWh,
      meterStop: stopped.meterStopWh,
      energyWh: stopped.meterStopWh - started.meterStartWh,
      stopReason: 'Local',
      stopIdTag: 'CARD-1',
      status: 'Completed',
    });
    expect(tx.flags).toEqual([]);
    expect(meter.registersWh.has(tx.meterStart)).toBe(true);
    expect(meter.registersWh.has(tx.meterStop!)).toBe(true);
    expect(tx.energyWh!).toBeGreaterThan(0);
    expect(tx.startTimestamp.toISOString()).toBe(started.timestamp);
    expect(tx.stopTimestamp!.toISOString()).toBe(stopped.timestamp);

    // Every sample belongs to the transaction, with the base unit of its measurand.
    expect(rows.samples.length).toBeGreaterThan(0);
    expect(rows.samples.every((s) => s.transaction === transactionId && s.connectorId === 1)).toBe(true);
    const units = Object.fromEntries(rows.samples.map((s) => [s.measurand, s.unit]));
    expect(units).toEqual({
      'Energy.Active.Import.Register': 'Wh',
      'Power.Active.Import': 'W',
      'Power.Offered': 'W',
      'Current.Import': 'A',
      Voltage: 'V',
      Frequency: 'Hz',
      Temperature: 'Celsius',
      SoC: 'Percent',
    });
    expect(rows.samples.every((s) => s.value !== null)).toBe(true);
    expect(rows.samples.filter((s) => (s.flags ?? []).length > 0)).toEqual([]);
    // The periodic samples are the MeterValues the charge point sent, value for value, in order.
    const sent = recorder
      .of('onMeterValues')
      .flatMap((e) => e.request.meterValue.flatMap((mv) => mv.sampledValue.map((sv) => [sv.measurand, sv.phase ?? null, Number(sv.value), mv.timestamp])));
    expect(rows.samples.slice(0, sent.length).map((s) => [s.measurand, s.phase, s.value, s.timestamp.toISOString()])).toEqual(sent);
    const live = rows.samples.slice(0, sent.length).filter((s) => s.measurand === 'Energy.Active.Import.Register').map((s) => Number(s.value));
    expect([...live].sort((a, b) => a - b)).toEqual(live);
    // Then the StopTransaction's transactionData: Begin (= meterStart) and End (= meterStop, at
    // the stop time). Its periodic registers (StopTxnSampledData) are the readings the MeterValues
    // above already carried (same timestamps): the core does not store them twice.
    const stopData = rows.samples.slice(sent.length);
    expect(stopData.map((s) => s.context)).toEqual(['Transaction.Begin', 'Transaction.End']);
    expect(stopData.every((s) => s.measurand === 'Energy.Active.Import.Register')).toBe(true);
    expect(stopData[0]!.value).toBe(tx.meterStart);
    expect(stopData[0]!.timestamp.toISOString()).toBe(started.timestamp);
    expect(stopData[stopData.length - 1]!.value).toBe(tx.meterStop);
    expect(stopData[stopData.length - 1]!.timestamp.toISOString()).toBe(stopped.timestamp);
    // Every register value stored is one the meter really showed.
    for (const s of rows.samples.filter((x) => x.measurand === 'Energy.Active.Import.Register')) expect(meter.registersWh.has(Number(s.value))).toBe(true);

    // The status history is exactly what the charge point reported.
    expect(rows.statuses.filter((s) => s.connectorId === 0).map((s) => s.status)).toEqual(['Available']);
    expect(rows.statuses.filter((s) => s.connectorId === 1).map((s) => s.status)).toEqual(['Available', 'Preparing', 'Charging', 'Finishing', 'Available']);
    expect(rows.statuses.every((s) => s.errorCode === 'NoError')).toBe(true);
    expect(rows.orphans).toEqual([]);
  });

  it('an unknown card is refused by the core (Invalid) and no transaction is created', async () => {
    const edge = cp!;
    await pollUntil(async () => (await statusesOf(1)).includes('Available'), 'connector 1 Available in the core');
    edge.plugIn(1);
    const outcome = await edge.presentCard({ idTag: 'CARD-UNKNOWN', source: 'test' });
    expect(outcome).toMatchObject({ result: 'refused', connectorId: 1 });
    // The answer came from the core (Authorize), not from a local decision.
    expect(outcome.reason).toBe('idTag Invalid (central)');
    // Another tap is refused again (now from the authorisation cache or the core, never started).
    expect(await edge.presentCard({ idTag: 'CARD-UNKNOWN', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(edge.state.connectors[1]?.transaction).toBeUndefined();
    expect(edge.state.queuedMessages).toBe(0);
    await pollUntil(async () => (await statusesOf(1)).includes('Preparing'), 'Preparing in the core');
    await server.csms.drain();
    const rows = await coreRows(server);
    expect(rows.transactions).toEqual([]);
    expect(rows.samples).toEqual([]);
    expect(rows.orphans).toEqual([]);
    expect(recorder.of('onTransactionStarted')).toEqual([]);
    expect(rows.statuses.filter((s) => s.connectorId === 1).map((s) => s.status)).toEqual(['Available', 'Preparing']);
  });
});
