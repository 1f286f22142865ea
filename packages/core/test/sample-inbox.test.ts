/**
 * The sample inbox (docs/persistence.md "The sample inbox"): on SQLite, MeterValues commit their
 * samples to meter_sample_inbox, which is moved into meter_sample on a timer and before every read;
 * on MariaDB they go straight to meter_sample. Readers never miss an acknowledged sample on either.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createOrm } from '../src/persistence/create-orm.js';
import { MeterSampleInboxSchema, MeterSampleSchema } from '../src/persistence/entities/index.js';
import { startApi } from './api-fixtures.js';
import { at, closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

/** Rows in each table, read directly (without moving the inbox first). */
async function tables(h: Awaited<ReturnType<typeof startRules>>) {
  const em = h.em();
  return { inbox: await em.count(MeterSampleInboxSchema, {}), samples: await em.count(MeterSampleSchema, {}) };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(testDatabases())('sample inbox on $name', (db) => {
  it('every query sees the acknowledged samples (on SQLite they wait in the inbox until a query moves them)', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' }, persistence: { sampleInboxMs: 600_000 } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 1000, timestamp: at(0) });
    await cp.meterValues({ transactionId, energyWh: 1500, timestamp: at(60) });
    await cp.meterValues({ transactionId, energyWh: 2000, timestamp: at(120) });
    // Committed before the answer; on SQLite not yet in meter_sample (the timer is 10 minutes here).
    expect(await tables(h)).toEqual(db.name === 'sqlite' ? { inbox: 2, samples: 0 } : { inbox: 0, samples: 2 });

    const queries = h.server.csms.services.get('queries');
    const page = await queries.meterSamples(transactionId);
    expect(page?.items.map((s) => s.value)).toEqual([1500, 2000]);
    expect(await tables(h)).toEqual({ inbox: 0, samples: 2 });

    // The live cost of the running session reads the latest register through the inbox too.
    await cp.meterValues({ transactionId, energyWh: 2600, timestamp: at(180) });
    const cost = await h.server.csms.services.get('tariffs').liveCost(transactionId);
    expect(cost.energyWh).toBe(1600);
    expect(await tables(h)).toEqual({ inbox: 0, samples: 3 });

    // Series and the site power chart as well.
    await cp.meterValues({ transactionId, meterValue: [{ timestamp: at(240), sampledValue: [{ value: '7200', measurand: 'Power.Active.Import', unit: 'W' }] }] });
    const series = await queries.meterSeries(transactionId, { measurands: ['Power.Active.Import'] });
    expect(series.map((s) => s.points.length)).toEqual([1]);
  });

  it('deleting a charge point deletes its samples still in the inbox, and the next move succeeds', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { TAG: 'Accepted' }, persistence: { sampleInboxMs: 600_000 } });
    const h = api.h;
    const cp1 = await h.connect('CP-1');
    await cp1.boot();
    const { transactionId } = await cp1.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
    await cp1.stopTransaction({ transactionId, meterStop: 900, timestamp: at(600), transactionData: [{ timestamp: at(300), sampledValue: [{ value: '450' }] }] });
    await cp1.meterValues({ connectorId: 0, energyWh: 123_456, timestamp: at(700) });
    await cp1.close();
    await until('the disconnect', async () => !h.server.csms.sessions.get('CP-1'));
    const cp2 = await h.connect('CP-2');
    await cp2.boot();
    await cp2.meterValues({ connectorId: 0, energyWh: 5, timestamp: at(700) });
    if (db.name === 'sqlite') expect((await tables(h)).inbox).toBe(3); // CP-1's transactionData and main meter, CP-2's

    const gone = await api.call('DELETE', '/charge-points/CP-1?withHistory=true');
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body.deleted.meter_sample).toBe(2);
    await h.server.csms.services.get('sampleInbox').settle();
    expect(await tables(h)).toEqual({ inbox: 0, samples: 1 });
    expect((await h.samples({ chargePoint: 'CP-2' })).map((s) => s.value)).toEqual([5]);
  });
});

// The inbox itself is used on SQLite only (on MariaDB the index pages are the database server's work).
describe.each(testDatabases().filter((kind) => kind.name === 'sqlite'))('sample inbox on $name: moving it', (db) => {
  it('moves the inbox on its own within persistence.sampleInboxMs, without a reader', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' }, persistence: { sampleInboxMs: 200 } });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
    for (let i = 1; i <= 5; i++) await cp.meterValues({ transactionId, energyWh: i * 100, timestamp: at(i * 60) });
    await until('the inbox to be moved', async () => (await tables(h)).inbox === 0);
    expect((await tables(h)).samples).toBe(5);
    // In arrival order: ids follow the order the samples were acknowledged.
    const rows = await h.em().find(MeterSampleSchema, { transaction: transactionId }, { orderBy: { id: 'asc' } });
    expect(rows.map((s) => s.value)).toEqual([100, 200, 300, 400, 500]);
  });

  it('a start moves the samples a crash left in the inbox; resent ones are still not stored twice', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' }, persistence: { sampleInboxMs: 600_000 } });
    let cp = await h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG', meterStart: 0, timestamp: at(0) });
    const message = { transactionId, energyWh: 700, timestamp: at(60) };
    await cp.meterValues(message);
    await h.server.close(); // moves the inbox
    // A row put in the inbox while the CSMS is down stands for what a crash leaves there.
    const orm = await createOrm({ databaseUrl: h.database.databaseUrl });
    const em = orm.em.fork();
    expect([await em.count(MeterSampleInboxSchema, {}), await em.count(MeterSampleSchema, {})]).toEqual([0, 1]);
    em.create(MeterSampleInboxSchema, { transaction: transactionId, chargePoint: 'CP-1', connectorId: 1, timestamp: new Date(at(90)), receivedAt: new Date(), measurand: 'Energy.Active.Import.Register', context: 'Sample.Periodic', unit: 'Wh', value: 800 });
    await em.flush();
    await orm.close();
    await h.restart({ persistence: { sampleInboxMs: 600_000 } });
    expect(await tables(h)).toEqual({ inbox: 0, samples: 2 });
    // The live state restored at start saw the newest register.
    expect(h.server.csms.services.get('live').connector('CP-1', 1)?.session?.energyWh).toBe(800);

    cp = await h.connect('CP-1');
    await cp.boot();
    expect(await cp.meterValues(message)).toEqual({}); // the charger resends what it sent before the restart
    expect((await h.samples({ transaction: transactionId })).map((s) => s.value)).toEqual([700, 800]);
  });
});
