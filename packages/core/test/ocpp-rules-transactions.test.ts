/**
 * DESIGN.md "OCPP rules" for transaction messages (OCPP-NOTES §1.2, §4 F1–F7, F11), end to end:
 * a real CSMS, fake charge points over real websockets, and the rows they leave in the database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MeterSampleSchema, OrphanMessageSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import { at, closeRulesHarnesses, startRules, type RowCounts } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

const NO_ROWS: Omit<RowCounts, 'charge_point'> = {
  charge_transaction: 0,
  meter_sample: 0,
  orphan_message: 0,
  status_event: 0,
  device_event: 0,
};

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('OCPP rules: transaction messages on $name', (db) => {
  describe('always a CALLRESULT for Start/Stop, problems become flags', () => {
    it('an unknown idTag: Start answered Invalid with a transactionId, the transaction stored and flagged; Stop acknowledged', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'] });
      const cp = await h.connect('CP-1');

      const start = await cp.startTransaction({ idTag: 'NOBODY', meterStart: 100, timestamp: at(0) });
      expect(start).toEqual({ transactionId: expect.any(Number), idTagInfo: { status: 'Invalid' } });
      const stop = await cp.stopTransaction({ transactionId: start.transactionId, idTag: 'NOBODY', meterStop: 300, timestamp: at(60) });
      expect(stop).toEqual({ idTagInfo: { status: 'Invalid' } });

      const txs = await h.em().find(TransactionSchema, {});
      expect(txs).toHaveLength(1);
      expect(txs[0]).toMatchObject({
        id: start.transactionId,
        chargePoint: 'CP-1',
        idTag: 'NOBODY',
        idTagStatus: 'Invalid',
        parentIdTag: null,
        meterStart: 100,
        meterStop: 300,
        energyWh: 200,
        status: 'Completed',
        // Not billed by default (setting billing.billUnauthorizedSessions), kept for review.
        flags: ['id-tag-invalid', 'stop-id-tag-invalid', 'not-billed'],
        cost: 0,
      });
      expect(await h.counts('CP-1')).toEqual({ charge_point: 1, ...NO_ROWS, charge_transaction: 1 });
    });

    it('blocked and expired tags (stored Expired, or Accepted past its expiryDate): Start answered Blocked/Expired, stored with flags', async () => {
      const past = new Date(Date.now() - 86_400_000);
      const h = await startRules(db, {
        chargePoints: ['CP-1'],
        idTags: {
          BLOCKED: { status: 'Blocked', parentIdTag: 'FLEET' },
          EXPIRED: 'Expired',
          LAPSED: { status: 'Accepted', expiryDate: past, parentIdTag: 'FLEET' },
        },
      });
      const cp = await h.connect('CP-1');

      const blocked = await cp.startTransaction({ connectorId: 1, idTag: 'BLOCKED', meterStart: 0, timestamp: at(0) });
      const expired = await cp.startTransaction({ connectorId: 2, idTag: 'EXPIRED', meterStart: 0, timestamp: at(0) });
      const lapsed = await cp.startTransaction({ connectorId: 3, idTag: 'LAPSED', meterStart: 0, timestamp: at(0) });
      expect(blocked.idTagInfo).toEqual({ status: 'Blocked', parentIdTag: 'FLEET' });
      expect(expired.idTagInfo).toEqual({ status: 'Expired' });
      expect(lapsed.idTagInfo).toEqual({ status: 'Expired', parentIdTag: 'FLEET', expiryDate: past.toISOString() });
      expect(new Set([blocked.transactionId, expired.transactionId, lapsed.transactionId]).size).toBe(3);

      const txs = await h.em().find(TransactionSchema, {}, { orderBy: { connectorId: 'asc' } });
      expect(txs.map((t) => [t.id, t.connectorId, t.idTag, t.idTagStatus, t.parentIdTag, t.status, t.flags])).toEqual([
        [blocked.transactionId, 1, 'BLOCKED', 'Blocked', 'FLEET', 'Active', ['id-tag-blocked']],
        [expired.transactionId, 2, 'EXPIRED', 'Expired', null, 'Active', ['id-tag-expired']],
        [lapsed.transactionId, 3, 'LAPSED', 'Expired', 'FLEET', 'Active', ['id-tag-expired']],
      ]);

      // The charger stops them (DeAuthorized); the stops are acknowledged and stored.
      for (const [tx, idTag] of [[blocked, 'BLOCKED'], [lapsed, 'LAPSED']] as const) {
        const stop = await cp.stopTransaction({ transactionId: tx.transactionId, idTag, meterStop: 10, timestamp: at(5), reason: 'DeAuthorized' });
        expect(stop.idTagInfo?.status).toBe(idTag === 'BLOCKED' ? 'Blocked' : 'Expired');
      }
      expect(await cp.stopTransaction({ transactionId: expired.transactionId, meterStop: 10, timestamp: at(5), reason: 'DeAuthorized' })).toEqual({});
      const stopped = await h.em().find(TransactionSchema, { status: 'Completed' });
      expect(stopped.map((t) => t.stopReason)).toEqual(['DeAuthorized', 'DeAuthorized', 'DeAuthorized']);
      expect(await h.counts('CP-1')).toEqual({ charge_point: 1, ...NO_ROWS, charge_transaction: 3 });
    });

    it('an Accepted tag with a parent: the parentIdTag comes back in Start and is stored', async () => {
      const future = new Date(Date.UTC(2099, 0, 1));
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { CHILD: { status: 'Accepted', parentIdTag: 'PARENT', expiryDate: future } } });
      const cp = await h.connect('CP-1');
      const start = await cp.startTransaction({ idTag: 'CHILD', meterStart: 0, timestamp: at(0) });
      expect(start.idTagInfo).toEqual({ status: 'Accepted', parentIdTag: 'PARENT', expiryDate: '2099-01-01T00:00:00.000Z' });
      const tx = await h.em().findOneOrFail(TransactionSchema, { id: start.transactionId });
      expect(tx).toMatchObject({ idTagStatus: 'Accepted', parentIdTag: 'PARENT', flags: [] });
    });
  });

  describe('always a CALLRESULT for MeterValues', () => {
    it('a sampled value that is not a number (SignedData, garbage) is acknowledged and kept raw', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
      expect(
        await cp.meterValues({
          transactionId,
          meterValue: [
            {
              timestamp: at(30),
              sampledValue: [
                { value: '0A1B2C', format: 'SignedData', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
                { value: 'n/a', measurand: 'SoC' },
              ],
            },
          ],
        }),
      ).toEqual({});
      const samples = await h.samples({ transaction: transactionId });
      expect(samples.map((s) => [s.measurand, s.unit, s.value, s.rawValue, s.format])).toEqual([
        ['Energy.Active.Import.Register', 'Wh', null, '0A1B2C', 'SignedData'],
        ['SoC', 'Percent', null, 'n/a', null],
      ]);
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ flags: [] });
    });
  });

  describe('idempotent StartTransaction (F2)', () => {
    it('a resent identical Start returns the same transactionId and stores one row; another timestamp is a new transaction', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const request = { connectorId: 1, idTag: 'TAG', meterStart: 5_000, timestamp: at(0) };

      const first = await cp.startTransaction(request);
      const resent = await cp.startTransaction(request);
      expect(resent).toEqual(first);
      expect(await h.counts('CP-1')).toEqual({ charge_point: 1, ...NO_ROWS, charge_transaction: 1 });

      // The charger lost its connection and sends the same Start again on a new one.
      await cp.close();
      const again = await h.connect('CP-1');
      expect(await again.startTransaction(request)).toEqual(first);
      expect(await h.counts('CP-1')).toEqual({ charge_point: 1, ...NO_ROWS, charge_transaction: 1 });

      const later = await again.startTransaction({ ...request, timestamp: at(1) });
      expect(later.transactionId).not.toBe(first.transactionId);
      const txs = await h.em().find(TransactionSchema, {}, { orderBy: { id: 'asc' } });
      expect(txs.map((t) => [t.id, t.startTimestamp.toISOString(), t.meterStart])).toEqual([
        [first.transactionId, at(0), 5_000],
        [later.transactionId, at(1), 5_000],
      ]);

      await h.server.csms.drain();
      expect(h.recorder.of('onTransactionStarted').map((e) => e.transaction.id)).toEqual([first.transactionId, later.transactionId]);
    });
  });

  describe('duplicate StopTransaction (F3)', () => {
    it('an identical resent Stop is acknowledged and stores nothing twice; a different Stop for a completed transaction is an orphan', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1_000, timestamp: at(0) });
      const stopRequest = {
        transactionId,
        idTag: 'TAG',
        meterStop: 4_000,
        timestamp: at(600),
        reason: 'EVDisconnected' as const,
        transactionData: [
          { timestamp: at(0), sampledValue: [{ value: '1000', context: 'Transaction.Begin' as const }] },
          { timestamp: at(600), sampledValue: [{ value: '4000', context: 'Transaction.End' as const }] },
        ],
      };
      expect(await cp.stopTransaction(stopRequest)).toEqual({ idTagInfo: { status: 'Accepted' } });
      const afterFirst = await h.counts('CP-1');
      expect(afterFirst).toEqual({ charge_point: 1, ...NO_ROWS, charge_transaction: 1, meter_sample: 2 });
      const stored = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });

      expect(await cp.stopTransaction(stopRequest)).toEqual({ idTagInfo: { status: 'Accepted' } });
      expect(await h.counts('CP-1')).toEqual(afterFirst);
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toEqual(stored);

      // Same transaction, different meterStop: not a resend, kept for review; the transaction is untouched.
      const conflicting = { transactionId, meterStop: 9_999, timestamp: at(700) };
      expect(await cp.stopTransaction(conflicting)).toEqual({});
      expect(await h.counts('CP-1')).toEqual({ ...afterFirst, orphan_message: 1 });
      const orphan = await h.em().findOneOrFail(OrphanMessageSchema, { chargePoint: 'CP-1' });
      expect(orphan).toMatchObject({ action: 'StopTransaction', claimedTransactionId: transactionId, reason: 'already-stopped', payload: conflicting });
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toEqual(stored);
      expect(stored).toMatchObject({ meterStop: 4_000, energyWh: 3_000, stopReason: 'EVDisconnected', status: 'Completed' });

      await h.server.csms.drain();
      expect(h.recorder.of('onTransactionStopped')).toHaveLength(1);
    });
  });

  describe('StopTransaction for an unknown transaction (F1, F4, F11)', () => {
    it.each([-1, 0, 999_999])('transactionId %i: CALLRESULT, an orphan row, nothing else changed', async (transactionId) => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const open = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
      const before = await h.counts();
      const txBefore = await h.em().findOneOrFail(TransactionSchema, { id: open.transactionId });

      const bare = { transactionId, meterStop: 2_000, timestamp: at(60) };
      const withTag = {
        transactionId,
        idTag: 'TAG',
        meterStop: 2_500,
        timestamp: at(70),
        transactionData: [{ timestamp: at(70), sampledValue: [{ value: '2500' }] }],
      };
      expect(await cp.stopTransaction(bare)).toEqual({});
      expect(await cp.stopTransaction(withTag)).toEqual({ idTagInfo: { status: 'Accepted' } });

      expect(await h.counts()).toEqual({ ...before, orphan_message: 2 });
      const orphans = await h.em().find(OrphanMessageSchema, {}, { orderBy: { id: 'asc' } });
      expect(orphans.map((o) => [o.chargePoint, o.action, o.claimedTransactionId, o.reason, o.payload])).toEqual([
        ['CP-1', 'StopTransaction', transactionId, 'unknown-transaction', bare],
        ['CP-1', 'StopTransaction', transactionId, 'unknown-transaction', withTag],
      ]);
      expect(orphans[0]!.receivedAt).toBeInstanceOf(Date);
      expect(orphans[0]!.reviewedAt).toBeNull();
      // The open transaction of the same charge point is not touched (no matching by connector or time).
      expect(await h.em().findOneOrFail(TransactionSchema, { id: open.transactionId })).toEqual(txBefore);
    });

    it("a transaction id of another charge point is not found: CP-B's Stop and MeterValues for CP-A's transaction are orphans", async () => {
      const h = await startRules(db, { chargePoints: ['CP-A', 'CP-B'], idTags: { TAG: 'Accepted' } });
      const a = await h.connect('CP-A');
      const b = await h.connect('CP-B');
      const { transactionId } = await a.startTransaction({ idTag: 'TAG', meterStart: 100, timestamp: at(0) });
      const txBefore = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });

      expect(await b.meterValues({ transactionId, energyWh: 150, timestamp: at(30) })).toEqual({});
      expect(await b.stopTransaction({ transactionId, idTag: 'TAG', meterStop: 200, timestamp: at(60) })).toEqual({ idTagInfo: { status: 'Accepted' } });

      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toEqual(txBefore);
      expect(txBefore).toMatchObject({ chargePoint: 'CP-A', status: 'Active', meterStop: null });
      expect(await h.counts('CP-A')).toEqual({ charge_point: 1, ...NO_ROWS, charge_transaction: 1 });
      expect(await h.counts('CP-B')).toEqual({ charge_point: 1, ...NO_ROWS, orphan_message: 2 });
      const orphans = await h.em().find(OrphanMessageSchema, {}, { orderBy: { id: 'asc' } });
      expect(orphans.map((o) => [o.chargePoint, o.action, o.claimedTransactionId, o.reason])).toEqual([
        ['CP-B', 'MeterValues', transactionId, 'unknown-transaction'],
        ['CP-B', 'StopTransaction', transactionId, 'unknown-transaction'],
      ]);

      // CP-A can still stop its own transaction.
      expect(await a.stopTransaction({ transactionId, meterStop: 300, timestamp: at(90) })).toEqual({});
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ status: 'Completed', energyWh: 200 });
    });
  });

  describe('MeterValues outside an open transaction', () => {
    it('for an unknown or a closed transaction: acknowledged, kept as orphans, no meter_sample rows anywhere', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const closed = await cp.startTransaction({ connectorId: 1, idTag: 'TAG', meterStart: 0, timestamp: at(0) });
      await cp.stopTransaction({ transactionId: closed.transactionId, meterStop: 1_000, timestamp: at(60) });
      const open = await cp.startTransaction({ connectorId: 2, idTag: 'TAG', meterStart: 0, timestamp: at(70) });

      expect(await cp.meterValues({ transactionId: 424_242, energyWh: 10, timestamp: at(80) })).toEqual({});
      expect(await cp.meterValues({ transactionId: closed.transactionId, energyWh: 1_100, timestamp: at(90) })).toEqual({});

      expect(await h.counts()).toEqual({ charge_point: 1, ...NO_ROWS, charge_transaction: 2, orphan_message: 2 });
      const orphans = await h.em().find(OrphanMessageSchema, {}, { orderBy: { id: 'asc' } });
      expect(orphans.map((o) => [o.action, o.claimedTransactionId, o.reason])).toEqual([
        ['MeterValues', 424_242, 'unknown-transaction'],
        ['MeterValues', closed.transactionId, 'transaction-closed'],
      ]);
      expect(orphans[1]!.payload).toMatchObject({ connectorId: 1, transactionId: closed.transactionId, meterValue: [{ sampledValue: [{ value: '1100' }] }] });
      expect(await h.em().findOneOrFail(TransactionSchema, { id: open.transactionId })).toMatchObject({ status: 'Active', flags: [] });

      await h.server.csms.drain();
      expect(h.recorder.of('onMeterValues').map((e) => e.transactionId)).toEqual([null, null]);
    });

    it('without a transactionId (connector 0 main meter): stored with transaction null', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'] });
      const cp = await h.connect('CP-1');
      expect(
        await cp.meterValues({
          connectorId: 0,
          meterValue: [
            {
              timestamp: at(0),
              sampledValue: [
                { value: '123456', measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Clock' },
                { value: '230.1', measurand: 'Voltage', unit: 'V', phase: 'L1-N', context: 'Sample.Clock' },
              ],
            },
          ],
        }),
      ).toEqual({});
      const samples = await h.samples({});
      expect(samples.map((s) => [s.transaction, s.chargePoint, s.connectorId, s.measurand, s.unit, s.value, s.phase, s.context, s.flags])).toEqual([
        [null, 'CP-1', 0, 'Energy.Active.Import.Register', 'Wh', 123_456, null, 'Sample.Clock', null],
        [null, 'CP-1', 0, 'Voltage', 'V', 230.1, 'L1-N', 'Sample.Clock', null],
      ]);
      expect(await h.counts()).toEqual({ charge_point: 1, ...NO_ROWS, meter_sample: 2 });
    });
  });

  describe('skewed timestamps are kept and flagged (F6)', () => {
    it('a Start 1 h in the future → clock-skew; 1970 → clock-implausible; a queued Start 2 h old → no flag; all stored as sent', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const epoch = '1970-01-01T00:00:07.000Z';
      const queued = new Date(Date.now() - 7_200_000).toISOString();

      const a = await cp.startTransaction({ connectorId: 1, idTag: 'TAG', meterStart: 0, timestamp: future });
      const b = await cp.startTransaction({ connectorId: 2, idTag: 'TAG', meterStart: 0, timestamp: epoch });
      const c = await cp.startTransaction({ connectorId: 3, idTag: 'TAG', meterStart: 0, timestamp: queued });
      for (const answer of [a, b, c]) expect(answer.idTagInfo).toEqual({ status: 'Accepted' });

      const txs = await h.em().find(TransactionSchema, {}, { orderBy: { connectorId: 'asc' } });
      expect(txs.map((t) => [t.id, t.startTimestamp.toISOString(), t.flags])).toEqual([
        [a.transactionId, future, ['clock-skew']],
        [b.transactionId, epoch, ['clock-implausible']],
        [c.transactionId, queued, []],
      ]);
      for (const tx of txs) {
        expect(tx.startReceivedAt).toBeInstanceOf(Date);
        // The receive time is the server's clock, not the charger's.
        expect(Math.abs(tx.startReceivedAt.getTime() - Date.now())).toBeLessThan(600_000);
      }
    });

    it('skewed MeterValues and Stop timestamps are stored as sent and flagged on the sample and the transaction', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
      expect(await cp.meterValues({ transactionId, energyWh: 100, timestamp: future })).toEqual({});
      expect(await cp.meterValues({ transactionId, energyWh: 200, timestamp: '1970-01-01T00:01:00Z' })).toEqual({});
      expect(await cp.meterValues({ transactionId, energyWh: 300, timestamp: at(60) })).toEqual({});
      expect(await cp.stopTransaction({ transactionId, meterStop: 400, timestamp: future })).toEqual({});

      const samples = await h.samples({ transaction: transactionId });
      expect(samples.map((s) => [s.value, s.timestamp.toISOString(), s.flags])).toEqual([
        [100, future, ['clock-skew']],
        [200, '1970-01-01T00:01:00.000Z', ['clock-implausible']],
        [300, at(60), null],
      ]);
      const tx = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });
      expect(tx.stopTimestamp?.toISOString()).toBe(future);
      expect([...tx.flags].sort()).toEqual(['clock-skew', 'sample-clock-skew']);
      expect(tx).toMatchObject({ status: 'Completed', energyWh: 400 });
    });
  });

  describe('register anomalies (F7)', () => {
    it('meterStop < meterStart → energyWh 0 and flag meter-stop-below-start', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 50_000, timestamp: at(0) });
      expect(await cp.stopTransaction({ transactionId, meterStop: 40_000, timestamp: at(60) })).toEqual({});
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({
        meterStart: 50_000,
        meterStop: 40_000,
        energyWh: 0,
        status: 'Completed',
        flags: ['meter-stop-below-start'],
      });
    });

    it('an Energy register going backwards inside a transaction → sample flag and transaction flag register-anomaly', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1_000, timestamp: at(0) });
      await cp.meterValues({ transactionId, energyWh: 1_500, timestamp: at(60) });
      await cp.meterValues({ transactionId, energyWh: 1_200, timestamp: at(120) });
      await cp.meterValues({ transactionId, energyWh: 900, timestamp: at(180) });
      await cp.meterValues({ transactionId, energyWh: 1_600, timestamp: at(240) });

      const samples = await h.samples({ transaction: transactionId });
      expect(samples.map((s) => [s.value, s.flags])).toEqual([
        [1_500, null],
        [1_200, ['register-decrease']],
        [900, ['register-below-start']],
        [1_600, null],
      ]);
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ status: 'Active', flags: ['register-anomaly'] });

      // The flag survives the Stop, and the billed energy follows meterStop − meterStart.
      await cp.stopTransaction({ transactionId, meterStop: 1_700, timestamp: at(300) });
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ energyWh: 700, flags: ['register-anomaly'] });
    });

    it('an Energy register going backwards in a MeterValues pipelined right before the Stop: the flag survives the Stop', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1_000, timestamp: at(0) });
      await cp.meterValues({ transactionId, energyWh: 1_500, timestamp: at(60) });
      // Sent together: the Stop may share the sample's batch (the batcher's own test pins that case).
      await Promise.all([
        cp.meterValues({ transactionId, energyWh: 1_200, timestamp: at(120) }),
        cp.stopTransaction({ transactionId, meterStop: 1_700, timestamp: at(180) }),
      ]);
      expect((await h.samples({ transaction: transactionId })).map((s) => [s.value, s.flags])).toEqual([
        [1_500, null],
        [1_200, ['register-decrease']],
      ]);
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ status: 'Completed', flags: ['register-anomaly'] });
    });

    it('an Energy register going backwards is flagged also when a CSMS restart came between the samples', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1_000, timestamp: at(0) });
      await cp.meterValues({ transactionId, energyWh: 1_500, timestamp: at(60) });

      await h.restart();
      const again = await h.connect('CP-1');
      await again.meterValues({ transactionId, energyWh: 1_200, timestamp: at(120) });

      const samples = await h.samples({ transaction: transactionId });
      expect(samples.map((s) => [s.value, s.flags])).toEqual([
        [1_500, null],
        [1_200, ['register-decrease']],
      ]);
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ flags: ['register-anomaly'] });
    });

    it("a meterStart below the previous transaction's meterStop on the same connector → register-reset", async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const first = await cp.startTransaction({ connectorId: 1, idTag: 'TAG', meterStart: 10_000, timestamp: at(0) });
      await cp.stopTransaction({ transactionId: first.transactionId, meterStop: 12_000, timestamp: at(60) });
      // Another connector's register is unrelated.
      const other = await cp.startTransaction({ connectorId: 2, idTag: 'TAG', meterStart: 0, timestamp: at(70) });
      const continued = await cp.startTransaction({ connectorId: 1, idTag: 'TAG', meterStart: 12_000, timestamp: at(80) });
      await cp.stopTransaction({ transactionId: continued.transactionId, meterStop: 13_000, timestamp: at(90) });
      const reset = await cp.startTransaction({ connectorId: 1, idTag: 'TAG', meterStart: 5, timestamp: at(100) });

      const flags = async (id: number) => (await h.em().findOneOrFail(TransactionSchema, { id })).flags;
      expect(await flags(other.transactionId)).toEqual([]);
      expect(await flags(continued.transactionId)).toEqual([]);
      expect(await flags(reset.transactionId)).toEqual(['register-reset']);
    });
  });

  describe('units are normalised end to end', () => {
    it('kWh → Wh, kW → W, and both Celcius and Celsius pass the strict validator and are stored as Celsius', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1_000_000, timestamp: at(0) });
      await cp.meterValues({
        transactionId,
        meterValue: [
          {
            timestamp: at(60),
            sampledValue: [
              { value: '1000.25', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
              { value: '7.4', measurand: 'Power.Active.Import', unit: 'kW' },
              { value: '7400', measurand: 'Power.Active.Import', unit: 'W', phase: 'L1' },
              { value: '41.5', measurand: 'Temperature', unit: 'Celcius' },
              { value: '42', measurand: 'Temperature', unit: 'Celsius', location: 'Body' },
            ],
          },
        ],
      });
      await cp.stopTransaction({
        transactionId,
        meterStop: 1_000_500,
        timestamp: at(120),
        transactionData: [{ timestamp: at(120), sampledValue: [{ value: '1000.5', unit: 'kWh', context: 'Transaction.End' }] }],
      });
      const samples = await h.samples({ transaction: transactionId });
      expect(samples.map((s) => [s.measurand, s.unit, s.value, s.phase, s.location, s.context])).toEqual([
        ['Energy.Active.Import.Register', 'Wh', 1_000_250, null, null, 'Sample.Periodic'],
        ['Power.Active.Import', 'W', 7_400, null, null, 'Sample.Periodic'],
        ['Power.Active.Import', 'W', 7_400, 'L1', null, 'Sample.Periodic'],
        ['Temperature', 'Celsius', 41.5, null, null, 'Sample.Periodic'],
        ['Temperature', 'Celsius', 42, null, 'Body', 'Sample.Periodic'],
        ['Energy.Active.Import.Register', 'Wh', 1_000_500, null, null, 'Transaction.End'],
      ]);
      expect(samples.every((s) => s.flags === null && s.rawValue === null)).toBe(true);
      expect(await h.em().findOneOrFail(TransactionSchema, { id: transactionId })).toMatchObject({ energyWh: 500, flags: [] });
    });
  });
});
