import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChargePointSchema,
  ConnectorSchema,
  DeviceEventSchema,
  MeterSampleSchema,
  StatusEventSchema,
  TransactionSchema,
} from '../src/persistence/entities/index.js';
import { createTestCsms, EventRecorder, FakeChargePoint, type TestCsms } from '../src/testing/index.js';
import { testDatabases, type TestDatabase } from './support/databases.js';

/** A charge point clock value `seconds` after a base one hour in the past. */
const base = Date.now() - 3_600_000;
const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();

describe.each(testDatabases())('a full charging session on $name', (db) => {
  let database: TestDatabase;
  let server: TestCsms;
  let cp: FakeChargePoint;
  let recorder: EventRecorder;

  beforeEach(async () => {
    database = await db.create();
    recorder = new EventRecorder();
    server = await createTestCsms({
      databaseUrl: database.databaseUrl,
      plugins: [recorder.plugin],
      heartbeatInterval: 120,
      idTags: { 'TAG-OK': 'Accepted' },
      chargePoints: ['CP-1'],
    });
    cp = new FakeChargePoint({ url: server.ocppUrlFor('CP-1'), identity: 'CP-1' });
    await cp.connect();
  });

  afterEach(async () => {
    await cp.close();
    await server.close();
    await database.dispose();
  });

  it('boot → status → authorize → start → meter values → stop leaves exactly the right rows', async () => {
    const boot = await cp.boot({ chargePointSerialNumber: 'SN-42', firmwareVersion: '1.2.3' });
    expect(boot.status).toBe('Accepted');
    expect(boot.interval).toBe(120);
    expect(Math.abs(Date.parse(boot.currentTime) - Date.now())).toBeLessThan(60_000);

    await cp.status(1, 'Available', 'NoError', `${at(0)}`);
    expect(await cp.authorize('TAG-OK')).toEqual({ idTagInfo: { status: 'Accepted' } });
    await cp.status(1, 'Preparing', 'NoError', `${at(5)}`);

    const start = await cp.startTransaction({ connectorId: 1, idTag: 'TAG-OK', meterStart: 1_000_000, timestamp: `${at(10)}` });
    expect(start.idTagInfo.status).toBe('Accepted');
    expect(start.transactionId).toBeGreaterThan(0);
    await cp.status(1, 'Charging', 'NoError', `${at(11)}`);

    await cp.meterValues({
      connectorId: 1,
      transactionId: start.transactionId,
      meterValue: [
        {
          timestamp: `${at(310)}`,
          sampledValue: [
            { value: '1001.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh', context: 'Sample.Periodic' },
            { value: '11.04', measurand: 'Power.Active.Import', unit: 'kW' },
            { value: '16', measurand: 'Current.Import', unit: 'A', phase: 'L1' },
            { value: '31', measurand: 'Temperature', unit: 'Celsius' },
          ],
        },
      ],
    });
    const stop = await cp.stopTransaction({
      transactionId: start.transactionId,
      idTag: 'TAG-OK',
      meterStop: 1_003_200,
      timestamp: `${at(610)}`,
      reason: 'Local',
      transactionData: [
        { timestamp: `${at(610)}`, sampledValue: [{ value: '1003200', context: 'Transaction.End' }] },
      ],
    });
    expect(stop).toEqual({ idTagInfo: { status: 'Accepted' } });
    await cp.status(1, 'Finishing', 'NoError', `${at(611)}`);
    await cp.status(1, 'Available', 'NoError', `${at(620)}`);

    await server.csms.services.get('sampleInbox').settle(); // as every reader of meter_sample does
    const em = server.csms.orm.em.fork();
    const chargePoint = await em.findOneOrFail(ChargePointSchema, { id: 'CP-1' });
    expect(chargePoint).toMatchObject({
      vendor: 'Charge-IT',
      model: 'Fake',
      serialNumber: 'SN-42',
      firmwareVersion: '1.2.3',
      registrationStatus: 'Accepted',
    });
    expect(chargePoint.lastBootAt).toBeInstanceOf(Date);

    const transactions = await em.find(TransactionSchema, {});
    expect(transactions).toHaveLength(1);
    expect(transactions[0]).toMatchObject({
      id: start.transactionId,
      chargePoint: 'CP-1',
      connectorId: 1,
      idTag: 'TAG-OK',
      idTagStatus: 'Accepted',
      meterStart: 1_000_000,
      meterStop: 1_003_200,
      energyWh: 3_200,
      stopReason: 'Local',
      stopIdTag: 'TAG-OK',
      status: 'Completed',
      flags: [],
    });
    expect(transactions[0]!.startTimestamp.toISOString()).toBe(`${at(10)}`);
    expect(transactions[0]!.stopTimestamp!.toISOString()).toBe(`${at(610)}`);
    expect(transactions[0]!.startReceivedAt).toBeInstanceOf(Date);
    expect(transactions[0]!.stopReceivedAt).toBeInstanceOf(Date);

    const samples = await em.find(MeterSampleSchema, { transaction: start.transactionId }, { orderBy: { id: 'asc' } });
    expect(samples.map((s) => [s.measurand, s.unit, s.value, s.phase, s.context, s.timestamp.toISOString()])).toEqual([
      ['Energy.Active.Import.Register', 'Wh', 1_001_500, null, 'Sample.Periodic', `${at(310)}`],
      ['Power.Active.Import', 'W', 11_040, null, 'Sample.Periodic', `${at(310)}`],
      ['Current.Import', 'A', 16, 'L1', 'Sample.Periodic', `${at(310)}`],
      ['Temperature', 'Celsius', 31, null, 'Sample.Periodic', `${at(310)}`],
      ['Energy.Active.Import.Register', 'Wh', 1_003_200, null, 'Transaction.End', `${at(610)}`],
    ]);

    const statuses = await em.find(StatusEventSchema, { chargePoint: 'CP-1' }, { orderBy: { id: 'asc' } });
    expect(statuses.map((s) => s.status)).toEqual(['Available', 'Preparing', 'Charging', 'Finishing', 'Available']);
    expect(statuses[0]!.timestamp!.toISOString()).toBe(`${at(0)}`);
    const connector = await em.findOneOrFail(ConnectorSchema, { chargePoint: 'CP-1', connectorId: 1 });
    expect(connector.status).toBe('Available');

    const bootEvents = await em.find(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'BootNotification' });
    expect(bootEvents).toHaveLength(1);

    await server.csms.drain();
    expect(recorder.events.map((e) => e.hook)).toEqual([
      'onChargePointConnected',
      'onBootNotification',
      'onStatusNotification',
      'onStatusNotification',
      'onTransactionStarted',
      'onStatusNotification',
      'onMeterValues',
      'onTransactionStopped',
      'onStatusNotification',
      'onStatusNotification',
    ]);
    expect(recorder.of('onTransactionStopped')[0]!.transaction).toMatchObject({ id: start.transactionId, energyWh: 3_200 });
  });

  it('transaction ids are unique and survive a restart of the CSMS', async () => {
    await cp.boot();
    const first = await cp.startTransaction({ idTag: 'TAG-OK', meterStart: 0, timestamp: `${at(0)}` });
    await cp.close();
    await server.close();

    server = await createTestCsms({ databaseUrl: database.databaseUrl, idTags: {} });
    cp = new FakeChargePoint({ url: server.ocppUrlFor('CP-1'), identity: 'CP-1' });
    await cp.connect();
    // Reconnect without a new BootNotification: the charge point is recognised from stored state.
    const hb = await cp.heartbeat();
    expect(Date.parse(hb.currentTime)).not.toBeNaN();
    const second = await cp.startTransaction({ connectorId: 2, idTag: 'TAG-OK', meterStart: 0, timestamp: `${at(60)}` });
    expect(second.transactionId).toBeGreaterThan(first.transactionId);
    const session = server.csms.sessions.get('CP-1');
    expect(session?.registrationStatus).toBe('Accepted');
  });
});
