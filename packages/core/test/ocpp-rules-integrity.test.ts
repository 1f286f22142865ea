/**
 * Issue 8 §3 — no transaction left open, no sample counted twice. Every case over real websockets
 * (FakeChargePoint, or a raw ws client where frames must be pipelined or repeated with one message
 * id) on SQLite, and MariaDB when CHARGE_IT_TEST_MARIADB_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceEventSchema, MeterSampleSchema, OrphanMessageSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import { definePlugin } from '../src/plugin.js';
import { deferred, RawClient } from './gateway-fixtures.js';
import { at, callErrorCode, closeRulesHarnesses, replyTo, repliesTo, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('OCPP rules (issue 8 §3): no transaction left open, no sample counted twice on $name', (db) => {
  it('closes a transaction whose StopTransaction carries 2,000 readings (a 0.76 MB frame, under the default 8 MiB cap)', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    expect(h.server.csms.config.ocpp.maxFrameBytes).toBe(8 * 1024 * 1024);
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
    const transactionData = Array.from({ length: 2000 }, (_, i) => ({
      timestamp: at(i + 1),
      sampledValue: [
        { value: String((i + 1) * 10), context: 'Sample.Periodic' as const, measurand: 'Energy.Active.Import.Register' as const, unit: 'Wh' as const, location: 'Outlet' as const },
        { value: '7360.5', context: 'Sample.Periodic' as const, measurand: 'Power.Active.Import' as const, unit: 'W' as const, location: 'Outlet' as const },
        { value: '32.01', context: 'Sample.Periodic' as const, measurand: 'Current.Import' as const, unit: 'A' as const, phase: 'L1' as const },
      ],
    }));
    const stop = { transactionId, meterStop: 20_000, timestamp: at(2001), reason: 'EVDisconnected' as const, transactionData };
    expect(JSON.stringify(stop).length).toBeGreaterThan(700_000);
    expect(await cp.stopTransaction(stop)).toEqual({});
    const tx = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });
    expect(tx).toMatchObject({ status: 'Completed', meterStop: 20_000, energyWh: 20_000 });
    expect(await h.sampleCount({ transaction: transactionId })).toBe(6000);
  });

  it('keeps a cap: a frame over ocpp.maxFrameBytes still closes the connection with 1009', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], ocpp: { maxFrameBytes: 4096 } });
    const raw = await RawClient.connect(h.server.port, 'CP-1');
    raw.send([2, 'big', 'DataTransfer', { vendorId: 'x', data: 'y'.repeat(5000) }]);
    expect((await raw.closed).code).toBe(1009);
  });

  it('answers an off-spec unit ("Hertz") in MeterValues and in a Stop\'s transactionData with a CALLRESULT: stored, raw payload kept, flagged', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    // strictMode off on the client: it must be able to send what a real off-spec charger sends.
    const cp = await h.connect('CP-1', { strictMode: false });
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1000, timestamp: at(0) });
    const hertz = (t: number, wh: number) => ({
      timestamp: at(t),
      sampledValue: [
        { value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
        { value: '50.02', measurand: 'Frequency', unit: 'Hertz' },
      ],
    });
    expect(await cp.call('MeterValues', { connectorId: 1, transactionId, meterValue: [hertz(60, 1500)] } as never)).toEqual({});
    let tx = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });
    expect(tx.status).toBe('Active');
    expect(tx.flags).toContain('schema-violation');
    const stored = await h.samples({ transaction: transactionId });
    expect(stored.map((s) => [s.measurand, s.unit, s.value])).toEqual([
      ['Energy.Active.Import.Register', 'Wh', 1500],
      ['Frequency', 'Hz', 50.02],
    ]);

    expect(await cp.call('StopTransaction', { transactionId, meterStop: 2000, timestamp: at(120), transactionData: [hertz(120, 2000)] } as never)).toEqual({});
    tx = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });
    expect(tx).toMatchObject({ status: 'Completed', meterStop: 2000 });
    expect(await h.sampleCount({ transaction: transactionId })).toBe(4);
    const kept = await h.em().find(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'SchemaViolation' }, { orderBy: { id: 'asc' } });
    expect(kept.map((e) => e.status)).toEqual(['MeterValues', 'StopTransaction']);
    expect(kept[0]!.payload).toMatchObject({
      action: 'MeterValues',
      transactionId,
      violation: { keyword: 'enum', path: '/meterValue/0/sampledValue/1/unit' },
      request: { meterValue: [{ sampledValue: [{}, { unit: 'Hertz' }] }] },
    });
  });

  it('answers a StartTransaction with an over-long idTag (a schema failure) with a transaction, flagged; an unreadable one still gets a CALLERROR', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    const cp = await h.connect('CP-1', { strictMode: false });
    await cp.boot();
    const longTag = 'X'.repeat(25);
    const started = (await cp.call('StartTransaction', { connectorId: 1, idTag: longTag, meterStart: 0, timestamp: at(0) })) as { transactionId: number };
    expect(started.transactionId).toBeGreaterThan(0);
    const tx = await h.em().findOneOrFail(TransactionSchema, { id: started.transactionId });
    expect(tx.flags).toEqual(expect.arrayContaining(['schema-violation', 'id-tag-invalid']));
    // No meterStop: nothing can be recorded, the strict CALLERROR stands.
    expect(await callErrorCode(cp.call('StopTransaction', { transactionId: started.transactionId, timestamp: at(5) } as never))).toBe('OccurenceConstraintViolation');
  });

  it('gives a CALL sent three times with one message id, while the first is in flight, one effect', async () => {
    const entered = deferred();
    const release = deferred();
    let authorizeCalls = 0;
    const slowAuth = definePlugin({
      name: 'slow-auth',
      hooks: {
        onAuthorize: async ({ reason }) => {
          if (reason !== 'StartTransaction') return undefined;
          authorizeCalls++;
          entered.resolve();
          await release.promise;
          return undefined;
        },
      },
    });
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' }, plugins: [slowAuth], hooks: { decideTimeoutMs: 20_000 } });
    const raw = await RawClient.connect(h.server.port, 'CP-1');
    raw.send([2, 'boot', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' }]);
    expect((await replyTo(raw, 'boot'))[0]).toBe(3);

    const start = [2, 'start-1', 'StartTransaction', { connectorId: 1, idTag: 'TAG', meterStart: 0, timestamp: at(0) }];
    raw.send(start);
    await entered.promise;
    raw.send(start);
    raw.send(start);
    // A Heartbeat answered behind the copies proves they were all read (frames are handled in order).
    const seen: unknown[][] = [];
    raw.send([2, 'hb', 'Heartbeat', {}]);
    await replyTo(raw, 'hb', seen);
    release.resolve();
    const replies = [...seen.filter((f) => f[1] === 'start-1')];
    while (replies.length < 3) replies.push(await replyTo(raw, 'start-1'));
    // Every copy is answered with the first one's CALLRESULT.
    expect(replies.map((f) => f[0])).toEqual([3, 3, 3]);
    const results = replies.map((f) => (f[2] as { transactionId: number }).transactionId);
    expect(new Set(results).size).toBe(1);
    expect(authorizeCalls).toBe(1);
    expect(await h.em().count(TransactionSchema, { chargePoint: 'CP-1' })).toBe(1);

    // MeterValues three times with one id: one sample set.
    const mv = [2, 'mv-1', 'MeterValues', { connectorId: 1, transactionId: results[0], meterValue: [{ timestamp: at(60), sampledValue: [{ value: '100' }, { value: '7000', measurand: 'Power.Active.Import', unit: 'W' }] }] }];
    raw.send(mv);
    raw.send(mv);
    raw.send(mv);
    raw.send([2, 'hb2', 'Heartbeat', {}]);
    await replyTo(raw, 'hb2');
    await h.server.csms.services.get('batcher').drain();
    expect(await h.sampleCount({ transaction: results[0]! })).toBe(2);
    await raw.close();
  });

  it('never attaches a MeterValues pipelined right behind the Stop of its transaction; kept apart as late (20 runs, with and without idTag)', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    const raw = await RawClient.connect(h.server.port, 'CP-1');
    raw.send([2, 'boot', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' }]);
    await replyTo(raw, 'boot');
    const runs = 20;
    for (let run = 0; run < runs; run++) {
      raw.send([2, `s${run}`, 'StartTransaction', { connectorId: 1, idTag: 'TAG', meterStart: run * 1000, timestamp: at(run * 100) }]);
      const { transactionId } = (await replyTo(raw, `s${run}`))[2] as { transactionId: number };
      const stop = { transactionId, meterStop: run * 1000 + 500, timestamp: at(run * 100 + 50), ...(run % 2 === 0 ? { idTag: 'TAG' } : {}) };
      // Pipelined: the MeterValues leaves before the Stop is answered.
      raw.send([2, `t${run}`, 'StopTransaction', stop]);
      raw.send([2, `m${run}`, 'MeterValues', { connectorId: 1, transactionId, meterValue: [{ timestamp: at(run * 100 + 49), sampledValue: [{ value: String(run * 1000 + 499) }] }] }]);
      const replies = await repliesTo(raw, [`t${run}`, `m${run}`]);
      expect(replies.get(`t${run}`)![0]![0]).toBe(3);
      expect(replies.get(`m${run}`)![0]![0]).toBe(3);
      expect(await h.sampleCount({ transaction: transactionId })).toBe(0);
      const late = await h.em().findOneOrFail(OrphanMessageSchema, { chargePoint: 'CP-1', action: 'MeterValues', claimedTransactionId: transactionId });
      expect(['after-stop', 'transaction-closed']).toContain(late.reason);
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ status: 'Completed', meterStop: run * 1000 + 500 });
    }
    await raw.close();
  });

  it('does not bill an offline start with an invalid idTag by default (flagged not-billed, price kept for review); billing.billUnauthorizedSessions bills it', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const first = await cp.startTransaction({ idTag: 'UNKNOWN-1', meterStart: 0, timestamp: at(0) });
    expect(first.idTagInfo.status).toBe('Invalid');
    await cp.stopTransaction({ transactionId: first.transactionId, meterStop: 3000, timestamp: at(600) });
    const unbilled = await h.em().findOneOrFail(TransactionSchema, { id: first.transactionId });
    expect(unbilled.cost).toBe(0);
    expect(unbilled.flags).toEqual(expect.arrayContaining(['id-tag-invalid', 'not-billed']));
    const notBilled = (unbilled.costBreakdown as { notBilled?: { reason: string[]; computedCost: number } }).notBilled;
    expect(notBilled?.reason).toEqual(['id-tag-invalid']);
    expect(notBilled?.computedCost).toBeGreaterThan(0);
    // An accepted session is billed as before.
    const ok = await cp.startTransaction({ idTag: 'TAG', meterStart: 3000, timestamp: at(700) });
    await cp.stopTransaction({ transactionId: ok.transactionId, meterStop: 6000, timestamp: at(1300) });
    const billedOk = await h.em().findOneOrFail(TransactionSchema, { id: ok.transactionId });
    expect(billedOk.cost).toBe(notBilled!.computedCost);
    expect(billedOk.flags).not.toContain('not-billed');

    await h.server.csms.services.get('settings').set('billing', { billUnauthorizedSessions: true }, 'test');
    const second = await cp.startTransaction({ idTag: 'UNKNOWN-2', meterStart: 6000, timestamp: at(1400) });
    await cp.stopTransaction({ transactionId: second.transactionId, meterStop: 9000, timestamp: at(2000) });
    const billed = await h.em().findOneOrFail(TransactionSchema, { id: second.transactionId });
    expect(billed.cost).toBe(notBilled!.computedCost);
    expect(billed.flags).toContain('id-tag-invalid');
    expect(billed.flags).not.toContain('not-billed');
  });

  it('flags the energy gap between a connector\'s Stop(n-1) meterStop and Start(n) meterStart', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const a = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
    await cp.stopTransaction({ transactionId: a.transactionId, meterStop: 10_000, timestamp: at(100) });
    const b = await cp.startTransaction({ idTag: 'TAG', meterStart: 12_500, timestamp: at(200) });
    await cp.stopTransaction({ transactionId: b.transactionId, meterStop: 13_000, timestamp: at(300) });
    const c = await cp.startTransaction({ idTag: 'TAG', meterStart: 13_000, timestamp: at(400) });
    // Another connector has its own register history.
    const d = await cp.startTransaction({ connectorId: 2, idTag: 'TAG', meterStart: 50, timestamp: at(400) });
    const flagsOf = async (id: number) => (await h.em().findOneOrFail(TransactionSchema, { id })).flags;
    expect(await flagsOf(b.transactionId)).toContain('energy-gap');
    expect(await flagsOf(c.transactionId)).not.toContain('energy-gap');
    expect(await flagsOf(d.transactionId)).not.toContain('energy-gap');
    const gaps = await h.em().find(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'EnergyGap' });
    expect(gaps.map((g) => g.payload)).toEqual([
      expect.objectContaining({ connectorId: 1, previousTransactionId: a.transactionId, previousMeterStop: 10_000, meterStart: 12_500, gapWh: 2500, transactionId: b.transactionId }),
    ]);
  });

  it('closes a socket that answers pings but never sends an OCPP message after ocpp.silentTimeout; a talking one stays', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'], heartbeatInterval: 1, ocpp: { silentTimeout: 2, pingInterval: 1 } });
    const silent = await RawClient.connect(h.server.port, 'CP-1');
    let pings = 0;
    silent.ws.on('ping', () => pings++);
    const talking = await RawClient.connect(h.server.port, 'CP-2');
    let n = 0;
    const timer = setInterval(() => talking.send([2, `hb${n++}`, 'Heartbeat', {}]), 200);
    try {
      const closed = await Promise.race([silent.closed, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
      expect(closed?.code).toBe(1008);
      expect(pings).toBeGreaterThan(0);
      expect(talking.ws.readyState).toBe(talking.ws.OPEN);
    } finally {
      clearInterval(timer);
      await talking.close();
    }
  });

  it('refuses an explicit ocpp.silentTimeout not above heartbeatInterval', async () => {
    await expect(startRules(db, { heartbeatInterval: 300, ocpp: { silentTimeout: 300 } })).rejects.toThrow(/ocpp.silentTimeout/);
  });
});
