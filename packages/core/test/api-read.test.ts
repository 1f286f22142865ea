/**
 * REST API v1 read endpoints end to end: charge points (live status, online/offline), transactions
 * (filters, pagination, newest first, live cost, meter samples, scoping), CSV export, status
 * history, audit log, orphan messages. Data is made by fake charge points over real websockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { TransactionSchema } from '../src/persistence/entities/index.js';
import type { FakeChargePoint } from '../src/testing/index.js';
import { startApi, type ApiHarness } from './api-fixtures.js';
import { at, closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

interface Sessions {
  api: ApiHarness;
  cp1: FakeChargePoint;
  cp2: FakeChargePoint;
  /** Transaction ids by label. */
  tx: { A: number; B: number; C: number; D: number; E: number };
}

/**
 * Five transactions, by start time: A (CP-1, TAG-A, completed), B (CP-1, tag-b, completed),
 * C (CP-2, TAG-A, running, 1500 Wh so far), D (CP-1, `X,"Y"`, completed), E (CP-1, `=1+1`, running).
 */
async function withTransactions(db: Parameters<typeof startApi>[0]): Promise<Sessions> {
  const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { 'TAG-A': 'Accepted', 'TAG-B': 'Accepted' } });
  const cp1 = await api.h.connect('CP-1');
  const cp2 = await api.h.connect('CP-2');
  await cp1.boot();
  await cp2.boot();
  const start = async (cp: FakeChargePoint, connectorId: number, idTag: string, seconds: number, meterStart: number) =>
    (await cp.startTransaction({ connectorId, idTag, meterStart, timestamp: at(seconds) })).transactionId;
  const A = await start(cp1, 1, 'TAG-A', 0, 1000);
  await cp1.stopTransaction({ transactionId: A, meterStop: 6000, timestamp: at(600) });
  const B = await start(cp1, 1, 'tag-b', 1000, 6000);
  await cp1.stopTransaction({ transactionId: B, meterStop: 7000, timestamp: at(1200) });
  const C = await start(cp2, 1, 'TAG-A', 2000, 1000);
  await cp2.meterValues({ connectorId: 1, transactionId: C, energyWh: 2500, timestamp: at(2100) });
  const D = await start(cp1, 2, 'X,"Y"', 3000, 100);
  await cp1.stopTransaction({ transactionId: D, meterStop: 200, timestamp: at(3100) });
  const E = await start(cp1, 1, '=1+1', 4000, 7000);
  await api.h.server.csms.drain();
  return { api, cp1, cp2, tx: { A, B, C, D, E } };
}

const ids = (body: { items: Array<{ id: number }> }) => body.items.map((t) => t.id);

describe.each(testDatabases())('REST API reads on $name', (db) => {
  it('lists charge points with connectors, live status, online/offline and last heartbeat', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2', 'CP-3'] });
    expect((await api.call('GET', '/charge-points?online=true')).body).toMatchObject({ total: 0, items: [] });
    expect((await api.call('GET', '/charge-points?online=false')).body.total).toBe(3);
    const cp1 = await api.h.connect('CP-1');
    await cp1.boot({ firmwareVersion: '1.2.3' });
    await cp1.status(0, 'Available');
    await cp1.status(1, 'Available');
    await cp1.status(1, 'Preparing');
    await cp1.heartbeat();
    await (await api.h.connect('CP-2')).boot();
    await api.h.server.csms.services.get('chargePointService').flushLiveness();

    const list = await api.call('GET', '/charge-points');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(3);
    expect(list.body.items.map((c: { id: string; online: boolean }) => [c.id, c.online])).toEqual([
      ['CP-1', true],
      ['CP-2', true],
      ['CP-3', false],
    ]);
    const [one] = list.body.items;
    expect(one).toMatchObject({
      id: 'CP-1',
      registrationStatus: 'Accepted',
      firmwareVersion: '1.2.3',
      securityProfile: 0,
      hasAuthKey: false,
      connectedAt: expect.any(String),
      lastHeartbeatAt: expect.any(String),
    });
    expect(one.connectors.map((c: { connectorId: number; status: string }) => [c.connectorId, c.status])).toEqual([
      [0, 'Available'],
      [1, 'Preparing'],
    ]);
    expect(list.body.items[2]).toMatchObject({ id: 'CP-3', online: false, registrationStatus: null, connectedAt: null, lastHeartbeatAt: null, connectors: [] });
    expect(JSON.stringify(list.body)).not.toContain('authKeyHash');

    expect(ids((await api.call('GET', '/charge-points?online=false')).body as never)).toEqual(['CP-3']);
    const paged = await api.call('GET', '/charge-points?limit=1&offset=1');
    expect(paged.body).toMatchObject({ total: 3, limit: 1, offset: 1, items: [{ id: 'CP-2' }] });

    expect((await api.call('GET', '/charge-points/CP-1')).body).toMatchObject({ id: 'CP-1', online: true, connectors: [{ connectorId: 0 }, { connectorId: 1 }] });
    const wrongCase = await api.call('GET', '/charge-points/cp-1');
    expect(wrongCase.status).toBe(404);
    expect(wrongCase.body.error.code).toBe(CsmsErrorCode.NOT_FOUND);
    const badId = await api.call('GET', '/charge-points/bad%20id');
    expect(badId.status).toBe(400);
    expect(badId.body.error.fields).toHaveProperty('id');

    const history = await api.call('GET', '/charge-points/CP-1/status-history?connectorId=1');
    expect(history.body.total).toBe(2);
    expect(history.body.items.map((e: { status: string }) => e.status)).toEqual(['Preparing', 'Available']);
    expect((await api.call('GET', '/charge-points/CP-1/status-history')).body.total).toBe(3);
    expect((await api.call('GET', '/charge-points/CP-9/status-history')).status).toBe(404);
  });

  it('lists transactions newest first with filters, pagination and totals', async () => {
    const { api, tx } = await withTransactions(db);
    const { A, B, C, D, E } = tx;
    const list = async (query: string) => {
      const r = await api.call('GET', `/transactions${query}`);
      expect(r.status, `${query}: ${r.text}`).toBe(200);
      return r.body;
    };
    expect(ids(await list(''))).toEqual([E, D, C, B, A]);
    expect((await list('')).total).toBe(5);
    expect(ids(await list('?chargePointId=CP-1'))).toEqual([E, D, B, A]);
    expect(ids(await list('?idTag=tag-a'))).toEqual([C, A]);
    expect(ids(await list('?idTag=TAG-B'))).toEqual([B]);
    expect(ids(await list('?status=Active'))).toEqual([E, C]);
    expect(ids(await list(`?from=${encodeURIComponent(at(1000))}&to=${encodeURIComponent(at(3000))}`))).toEqual([C, B]);
    expect(await list('?limit=2&offset=1')).toMatchObject({ total: 5, limit: 2, offset: 1 });
    expect(ids(await list('?limit=2&offset=1'))).toEqual([D, C]);
    expect(ids(await list('?chargePointId=CP-1&status=Completed&limit=1'))).toEqual([D]);
    expect(await list('?chargePointId=cp-1')).toMatchObject({ total: 0, items: [] });
    expect(await list('?chargePointId=CP-404')).toMatchObject({ total: 0, items: [] });

    const first = (await list(`?idTag=${encodeURIComponent('X,"Y"')}`)).items;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ id: D, chargePointId: 'CP-1', connectorId: 2, status: 'Completed', meterStart: 100, meterStop: 200, energyWh: 100 });

    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?status=Running', 'status'],
      ['?from=yesterday', 'from'],
      ['?chargepointId=CP-1', 'chargepointId'],
    ] as const) {
      const bad = await api.call('GET', `/transactions${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error.code).toBe(CsmsErrorCode.INPUT_INVALID);
      expect(Object.keys(bad.body.error.fields), query).toEqual([field]);
      expect(bad.body.error.message).toContain(field);
    }
  });

  it('shows one transaction with its cost (live while running), its meter samples, and scopes it to its charge point', async () => {
    const { api, tx } = await withTransactions(db);
    const completed = await api.call('GET', `/transactions/${tx.A}`);
    expect(completed.body).toMatchObject({ id: tx.A, status: 'Completed', energyWh: 5000, costFinal: true, cost: 13692 });
    expect(completed.body.costBreakdown).toMatchObject({ currency: 'IDR', energy: 12335, tax: 1357, total: 13692 });

    const running = await api.call('GET', `/transactions/${tx.C}`);
    expect(running.body).toMatchObject({ id: tx.C, status: 'Active', chargePointId: 'CP-2', costFinal: false, cost: expect.any(Number) });
    expect(running.body.costBreakdown).toMatchObject({ energyWh: 1500, currency: 'IDR' });
    expect(running.body.cost).toBe(running.body.costBreakdown.total);

    const samples = await api.call('GET', `/transactions/${tx.C}/meter-samples`);
    expect(samples.body).toMatchObject({ total: 1, items: [{ measurand: 'Energy.Active.Import.Register', unit: 'Wh', value: 2500, context: 'Sample.Periodic' }] });
    expect((await api.call('GET', `/transactions/${tx.C}/meter-samples?measurand=Power.Active.Import`)).body.total).toBe(0);

    // Scoped lookups: another charge point's transaction is "not found", never shown.
    const foreign = await api.call('GET', `/charge-points/CP-2/transactions/${tx.A}`);
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain('TAG-A');
    expect((await api.call('GET', `/charge-points/CP-1/transactions/${tx.A}`)).body).toMatchObject({ id: tx.A, chargePointId: 'CP-1' });
    expect((await api.call('GET', `/charge-points/CP-2/transactions/${tx.C}`)).body).toMatchObject({ id: tx.C, costFinal: false });
    expect((await api.call('GET', '/transactions/999999')).status).toBe(404);
    expect((await api.call('GET', '/transactions/999999/meter-samples')).status).toBe(404);
    expect((await api.call('GET', '/transactions/abc')).status).toBe(400);
  });

  it('exports transactions as CSV with the same filters, escaping and formula guards', async () => {
    const { api, tx } = await withTransactions(db);
    const csv = await api.call('GET', '/transactions.csv?chargePointId=CP-1');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="transactions-.*\.csv"$/);
    const lines = csv.text.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe('id,chargePointId,connectorId,status,idTag,parentIdTag,reservationId,startTimestamp,stopTimestamp,meterStartWh,meterStopWh,energyWh,costIdr,stopReason,flags');
    const rows = lines.slice(1, -1);
    expect(rows.map((r) => Number(r.split(',')[0]))).toEqual([tx.E, tx.D, tx.B, tx.A]);
    expect(rows[0]).toContain(",'=1+1,");
    expect(rows[1]).toContain(',"X,""Y""",');
    // 5 kWh × 2467 IDR = 12335, + 11 % PPN 1357 = 13692 (default tariff); stop reason defaults to Local.
    expect(rows[3]).toBe(`${tx.A},CP-1,1,Completed,TAG-A,,,${at(0)},${at(600)},1000,6000,5000,13692,Local,`);

    const active = await api.call('GET', '/transactions.csv?status=Active');
    expect(active.text.split('\r\n').slice(1, -1).map((r) => Number(r.split(',')[0]))).toEqual([tx.E, tx.C]);
    expect((await api.call('GET', '/transactions.csv?chargePointId=CP-404')).text.split('\r\n')).toHaveLength(2);
    expect((await api.call('GET', '/transactions.csv?limit=5')).status).toBe(400);
    expect((await api.call('GET', '/transactions.csv', { key: null })).status).toBe(401);
  });

  it('streams a CSV export larger than one page, every row once, newest first (ties by id)', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const em = api.h.em();
    const count = 1203;
    for (let i = 0; i < count; i++) {
      // Three transactions share each start time: the export must order ties by id and lose none at page edges.
      const start = new Date(Date.parse(at(Math.floor(i / 3))));
      em.create(TransactionSchema, {
        chargePoint: 'CP-1',
        connectorId: 1 + (i % 3),
        idTag: `T${i}`,
        idTagStatus: 'Accepted',
        meterStart: i,
        startTimestamp: start,
        startReceivedAt: start,
        status: 'Completed',
        flags: [],
      });
    }
    await em.flush();
    const all = await api.h.em().find(TransactionSchema, {}, { orderBy: { startTimestamp: 'desc', id: 'desc' } });
    const csv = await api.call('GET', '/transactions.csv');
    const exported = csv.text.split('\r\n').slice(1, -1).map((r) => Number(r.split(',')[0]));
    expect(exported).toHaveLength(count);
    expect(exported).toEqual(all.map((t) => t.id));
  });

  it('matches an idTag filter case-insensitively and takes LIKE wildcards in it literally', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const em = api.h.em();
    const tags = ['A_B', 'AXB', 'a_b', '50%', '500'];
    tags.forEach((idTag, i) => {
      const start = new Date(Date.parse(at(i)));
      em.create(TransactionSchema, { chargePoint: 'CP-1', connectorId: 1, idTag, idTagStatus: 'Accepted', meterStart: 0, startTimestamp: start, startReceivedAt: start, status: 'Completed', flags: [] });
    });
    await em.flush();
    const tagsOf = async (idTag: string) =>
      ((await api.call('GET', `/transactions?idTag=${encodeURIComponent(idTag)}`)).body.items as Array<{ idTag: string }>).map((t) => t.idTag);
    expect(await tagsOf('A_B')).toEqual(['a_b', 'A_B']);
    expect(await tagsOf('axb')).toEqual(['AXB']);
    expect(await tagsOf('50%')).toEqual(['50%']);
    expect((await api.call('GET', `/transactions?idTag=${encodeURIComponent('a_b')}`)).body.total).toBe(2);
  });

  it('shows the audit log newest first with filters, hiding charge point keys', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    cp.handle('Reset', () => ({ status: 'Accepted' }));
    cp.handle('ChangeConfiguration', () => ({ status: 'Accepted' }));
    expect((await api.call('POST', '/charge-points/CP-1/commands/Reset', { body: { type: 'Soft' } })).status).toBe(200);
    const secret = 'a-new-charge-point-password-0123';
    expect((await api.call('POST', '/charge-points/CP-1/commands/ChangeConfiguration', { body: { key: 'AuthorizationKey', value: secret } })).status).toBe(200);
    expect((await api.call('POST', '/id-tags', { body: { idTag: 'CARD-1' } })).status).toBe(201);

    const log = await api.call('GET', '/audit-log');
    expect(log.status).toBe(200);
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual(['CreateIdTag', 'ChangeConfiguration', 'Reset']);
    expect(log.body.items.every((e: { actor: string }) => e.actor === 'api:bootstrap-admin')).toBe(true);
    expect(log.text).not.toContain(secret);
    expect(log.body.items[1]).toMatchObject({ chargePointId: 'CP-1', request: { key: 'AuthorizationKey', value: '***' }, result: { status: 'Accepted' }, outcome: 'accepted' });

    expect((await api.call('GET', '/audit-log?action=Reset')).body).toMatchObject({ total: 1, items: [{ action: 'Reset', request: { type: 'Soft' } }] });
    expect((await api.call('GET', '/audit-log?chargePointId=CP-1')).body.total).toBe(2);
    expect((await api.call('GET', '/audit-log?limit=1&offset=2')).body.items.map((e: { action: string }) => e.action)).toEqual(['Reset']);
    const viewer = await api.keyFor('viewer');
    expect((await api.call('GET', '/audit-log', { key: viewer })).status).toBe(200);
  });

  it('lists orphan messages for review and marks them reviewed', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    await cp.stopTransaction({ transactionId: 987654, meterStop: 100, timestamp: at(10) });

    const orphans = await api.call('GET', '/orphans');
    expect(orphans.body).toMatchObject({ total: 1, items: [{ chargePointId: 'CP-1', action: 'StopTransaction', claimedTransactionId: 987654, reviewedAt: null }] });
    const id = orphans.body.items[0].id as number;

    const viewer = await api.keyFor('viewer');
    expect((await api.call('POST', `/orphans/${id}/review`, { key: viewer })).status).toBe(403);
    const operator = await api.keyFor('operator');
    const reviewed = await api.call('POST', `/orphans/${id}/review`, { key: operator });
    expect(reviewed.body).toMatchObject({ id, reviewedAt: expect.any(String) });
    expect((await api.call('GET', '/orphans?reviewed=false')).body.total).toBe(0);
    expect((await api.call('GET', '/orphans?reviewed=true&chargePointId=CP-1')).body.total).toBe(1);
    expect((await api.call('POST', '/orphans/424242/review')).status).toBe(404);
  });
});
