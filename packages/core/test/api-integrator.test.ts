/**
 * What an integrator writing against the REST API needs (issue 8 §6), end to end over real HTTP
 * and real charge point websockets (FakeChargePoint), on SQLite and MariaDB: one deadline per
 * command including the queue wait, offline vs connection lost, `?timeoutMs=` on routes that wait;
 * the local list as a resource (a manual Differential is not overwritten by the automatic Full
 * sync after a boot); closing a transaction left open; deleting a charge point; the charging-profile
 * library; latest by server receive time; partial settings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from '../src/testing/index.js';
import { startApi } from './api-fixtures.js';
import { at, closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(testDatabases())('REST API for integrators on $name', (db) => {
  it('commands: offline is 409 (not sent), a connection lost after sending is 502 CONNECTION_LOST, the queue wait counts in the timeout', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'] });
    const offline = await api.call('POST', '/charge-points/CP-2/commands/Reset', { body: { type: 'Soft' } });
    expect(offline.status).toBe(409);
    expect(offline.body.error.code).toBe('CSMS_ERR_CHARGE_POINT_OFFLINE');
    expect(offline.body.error.message).toMatch(/nothing was sent/);

    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const received: string[] = [];
    const held = deferred<void>();
    cp.handle('GetConfiguration', async () => {
      received.push('GetConfiguration');
      await held.promise;
      return { configurationKey: [] };
    });
    cp.handle('Reset', () => {
      received.push('Reset');
      return { status: 'Accepted' };
    });
    // The first command holds the line; the second waits behind it and runs out of time unsent.
    const first = api.call('POST', '/charge-points/CP-1/commands/GetConfiguration?timeoutMs=30000', { body: {} });
    await until('the first command to reach the charger', () => received.length === 1);
    const second = await api.call('POST', '/charge-points/CP-1/commands/Reset?timeoutMs=300', { body: { type: 'Soft' } });
    expect(second.status).toBe(504);
    expect(second.body.error.code).toBe('CSMS_ERR_CALL_TIMEOUT');
    expect(second.body.error.message).toMatch(/behind earlier commands and was not sent/);
    held.resolve();
    expect((await first).status).toBe(200);
    expect(received).toEqual(['GetConfiguration']);

    // ?timeoutMs= on a route that sends through a domain service (charging profiles: ClearChargingProfile).
    const never = deferred<never>();
    cp.handle('ClearChargingProfile', () => never.promise);
    const clear = await api.call('POST', '/charge-points/CP-1/charging-profiles/clear?timeoutMs=200', { body: {} });
    expect(clear.status).toBe(504);
    expect(clear.body.error.code).toBe('CSMS_ERR_CALL_TIMEOUT');
    const openapi = (await api.call('GET', '/openapi.json', { key: null })).body;
    const params = (path: string) => (openapi.paths[path].post.parameters ?? []).map((p: { name: string }) => p.name);
    for (const path of ['/charge-points/{id}/charging-profiles', '/charge-points/{id}/charging-profiles/clear', '/charge-points/{id}/reservations', '/reservations/{id}/cancel', '/charge-points/{id}/local-list/sync', '/charge-points/{id}/charging-profiles/apply']) {
      expect(params(path), path).toContain('timeoutMs');
    }

    // Sent, then the charger drops the connection without answering.
    cp.handle('UnlockConnector', async () => {
      await cp.client.close({ code: 1001, force: true, awaitPending: false });
      return new Promise(() => {});
    });
    const lost = await api.call('POST', '/charge-points/CP-1/commands/UnlockConnector', { body: { connectorId: 1 } });
    expect(lost.status).toBe(502);
    expect(lost.body.error.code).toBe('CSMS_ERR_CONNECTION_LOST');
    const audit = await api.call('GET', '/audit-log?chargePointId=CP-1&action=UnlockConnector');
    expect(audit.body.items[0].outcome).toBe('connection-lost');
  });

  it('local list: state, sync, auto-sync off; a manual Differential after a boot is not overwritten by the automatic Full sync', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'], idTags: { 'TAG-A': 'Accepted', 'TAG-B': 'Blocked' } });
    const localList = api.h.server.csms.services.get('localList');
    localList.configure({ syncDelayMs: 60_000 }); // scheduled, never fires during the test by itself
    const sent: Array<{ updateType: string; listVersion: number; tags: string[] }> = [];
    const cp = await api.h.connect('CP-1');
    let version = 0;
    cp.handle('GetLocalListVersion', () => ({ listVersion: version }));
    cp.handle('GetConfiguration', () => ({ configurationKey: [] }));
    cp.handle('SendLocalList', (r: { updateType: string; listVersion: number; localAuthorizationList?: { idTag: string }[] }) => {
      sent.push({ updateType: r.updateType, listVersion: r.listVersion, tags: (r.localAuthorizationList ?? []).map((e) => e.idTag) });
      version = r.listVersion;
      return { status: 'Accepted' };
    });
    await cp.boot();
    await until('the automatic sync after the boot to be scheduled', () => localList.hasScheduledSync('CP-1'));

    const before = await api.call('GET', '/charge-points/CP-1/local-list');
    expect(before.body).toMatchObject({ chargePointId: 'CP-1', version: 0, status: 'Pending', autoSync: true, entries: 0 });

    // The operator sends a Differential right after the boot, through the plain command endpoint.
    const manual = await api.call('POST', '/charge-points/CP-1/commands/SendLocalList', {
      body: { listVersion: 7, updateType: 'Differential', localAuthorizationList: [{ idTag: 'GUEST-1', idTagInfo: { status: 'Accepted' } }] },
    });
    expect(manual.status, manual.text).toBe(200);
    expect(manual.body).toEqual({ status: 'Accepted' });
    expect(localList.hasScheduledSync('CP-1')).toBe(false);
    const after = await api.call('GET', '/charge-points/CP-1/local-list');
    expect(after.body).toMatchObject({ version: 7, status: 'Accepted', autoSync: false, entries: 1, idTags: ['GUEST-1'] });

    // Another boot (its automatic sync now fires quickly) and an IdTag change: nothing automatic is
    // sent to this charger any more.
    localList.configure({ syncDelayMs: 50 });
    await cp.boot();
    await api.h.server.csms.drain();
    await until('the automatic sync after the second boot to fire', () => !localList.hasScheduledSync('CP-1'));
    await localList.idle();
    await api.call('POST', '/id-tags', { body: { idTag: 'TAG-C' } });
    await localList.syncAll('system:local-list', { automatic: true });
    await localList.idle();
    expect(sent).toEqual([{ updateType: 'Differential', listVersion: 7, tags: ['GUEST-1'] }]);

    // A sync on demand still works, and continues from the stored version.
    const sync = await api.call('POST', '/charge-points/CP-1/local-list/sync', { body: { full: true } });
    expect(sync.status, sync.text).toBe(200);
    expect(sync.body).toMatchObject({ outcome: 'Accepted', updateType: 'Full', version: 8 });
    expect(sent.at(-1)).toEqual({ updateType: 'Full', listVersion: 8, tags: ['TAG-A', 'TAG-B', 'TAG-C'] });

    const on = await api.call('PUT', '/charge-points/CP-1/local-list/auto-sync', { body: { enabled: true } });
    expect(on.body).toMatchObject({ autoSync: true, version: 8 });
    expect((await api.call('PUT', '/charge-points/CP-1/local-list/auto-sync', { body: { enabled: 'no' } })).status).toBe(400);
    expect((await api.call('GET', '/charge-points/CP-404/local-list')).status).toBe(404);
    const audit = await api.call('GET', '/audit-log?chargePointId=CP-1&action=SetLocalListAutoSync');
    expect(audit.body.items[0].request).toEqual({ enabled: true });
  });

  it('closes a transaction left open (reason audited, flagged closed-by-operator); a later Stop is kept as an orphan', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'], idTags: { 'TAG-A': 'Accepted' } });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'TAG-A', meterStart: 1000, timestamp: at(0) });
    await cp.meterValues({ connectorId: 1, transactionId, energyWh: 4500, timestamp: at(60) });
    const operator = await api.keyFor('operator', 'night-shift');
    const viewer = await api.keyFor('viewer');

    expect((await api.call('POST', `/transactions/${transactionId}/close`, { key: viewer, body: { reason: 'charger replaced' } })).status).toBe(403);
    expect((await api.call('POST', `/transactions/${transactionId}/close`, { key: operator, body: {} })).body.error.fields).toHaveProperty('reason');
    const closed = await api.call('POST', `/transactions/${transactionId}/close`, { key: operator, body: { reason: 'charger replaced, Stop never came' } });
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body).toMatchObject({ id: transactionId, status: 'Completed', meterStop: 4500, energyWh: 3500, stopReason: 'Other' });
    expect(closed.body.flags).toContain('closed-by-operator');
    expect(api.h.server.csms.services.get('live').connector('CP-1', 1)?.session).toBeNull();

    const again = await api.call('POST', `/transactions/${transactionId}/close`, { key: operator, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
    expect((await api.call('POST', '/transactions/999999/close', { key: operator, body: { reason: 'nothing' } })).status).toBe(404);
    const audit = await api.call('GET', '/audit-log?action=CloseTransaction');
    expect(audit.body.items[0]).toMatchObject({ actor: 'api:night-shift', chargePointId: 'CP-1', request: { transactionId, reason: 'charger replaced, Stop never came' } });

    await cp.stopTransaction({ transactionId, meterStop: 5000, timestamp: at(120) });
    expect((await api.call('GET', `/orphans?chargePointId=CP-1`)).body.total).toBe(1);
    expect((await api.call('GET', `/transactions/${transactionId}`)).body.meterStop).toBe(4500);
  });

  it('DELETE /charge-points/{id}: 409 with the reason while connected, with open transactions, or with history; then deleted', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-EMPTY'], idTags: { 'TAG-A': 'Accepted' } });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'TAG-A', meterStart: 0, timestamp: at(0) });
    // Samples of the transaction and of the main meter (no transaction): both go with the charger.
    await cp.meterValues({ connectorId: 1, transactionId, energyWh: 500, timestamp: at(30) });
    await cp.meterValues({ connectorId: 0, energyWh: 123_456, timestamp: at(30) });

    const connected = await api.call('DELETE', '/charge-points/CP-1');
    expect(connected.status).toBe(409);
    expect(connected.body.error.message).toMatch(/is connected/);
    await cp.close();
    await until('the disconnect', () => !api.h.server.csms.sessions.get('CP-1'));
    const open = await api.call('DELETE', '/charge-points/CP-1');
    expect(open.status).toBe(409);
    expect(open.body.error.message).toMatch(new RegExp(`open transactions \\(${transactionId}\\)`));
    await api.call('POST', `/transactions/${transactionId}/close`, { body: { reason: 'charger removed from the site' } });
    const history = await api.call('DELETE', '/charge-points/CP-1');
    expect(history.status).toBe(409);
    expect(history.body.error.message).toMatch(/1 completed transactions.*withHistory=true/);

    const gone = await api.call('DELETE', '/charge-points/CP-1?withHistory=true');
    expect(gone.status, gone.text).toBe(200);
    expect(gone.body).toMatchObject({ id: 'CP-1', deleted: { charge_transaction: 1, meter_sample: 2 } });
    const left = await api.h.server.csms.orm.em.fork().getConnection().execute(`select count(*) as n from meter_sample where charge_point_id = 'CP-1'`);
    expect(Number((left as Array<{ n: unknown }>)[0]!.n)).toBe(0);
    expect((await api.call('GET', '/charge-points/CP-1')).status).toBe(404);
    expect((await api.call('GET', `/transactions/${transactionId}`)).status).toBe(404);
    expect(api.h.server.csms.services.get('live').chargePoint('CP-1')).toBeUndefined();
    expect((await api.call('DELETE', '/charge-points/CP-EMPTY')).status).toBe(200);
    expect((await api.call('DELETE', '/charge-points/CP-EMPTY')).status).toBe(404);
    const operator = await api.keyFor('operator');
    expect((await api.call('DELETE', '/charge-points/CP-X', { key: operator })).status).toBe(403);
    expect((await api.call('GET', '/audit-log?action=DeleteChargePoint')).body.total).toBe(2);
  });

  it('charging-profile library: stored with name and description, ids are the OCPP ids, applied to a charger', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const profile = {
      name: 'Night 16 A',
      description: 'Limit at night',
      stackLevel: 1,
      chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Recurring',
      recurrencyKind: 'Daily',
      chargingSchedule: { chargingRateUnit: 'A', startSchedule: '2026-01-01T22:00:00Z', duration: 28800, chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
    };
    const created = await api.call('POST', '/charging-profiles', { body: profile });
    expect(created.status, created.text).toBe(201);
    const second = await api.call('POST', '/charging-profiles', { body: { ...profile, name: 'Day 32 A', recurrencyKind: null, chargingProfileKind: 'Absolute' } });
    expect(second.status, second.text).toBe(201);
    expect(second.body.id).toBeGreaterThan(created.body.id);
    const list = await api.call('GET', '/charging-profiles');
    expect(list.body.items.map((p: { id: number; name: string }) => [p.id, p.name])).toEqual([[created.body.id, 'Night 16 A'], [second.body.id, 'Day 32 A']]);
    expect((await api.call('POST', '/charging-profiles', { body: profile })).status).toBe(409);
    const bad = await api.call('POST', '/charging-profiles', { body: { ...profile, name: 'Broken', recurrencyKind: null, chargingSchedule: { chargingRateUnit: 'A' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toMatchObject({ recurrencyKind: expect.any(String), 'chargingSchedule.chargingSchedulePeriod': 'is required' });

    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const got: unknown[] = [];
    cp.handle('SetChargingProfile', (r) => {
      got.push(r);
      return { status: 'Accepted' };
    });
    const applied = await api.call('POST', '/charge-points/CP-1/charging-profiles/apply', { body: { profileId: created.body.id, connectorId: 1 } });
    expect(applied.status, applied.text).toBe(200);
    expect(applied.body).toEqual({ status: 'Accepted', chargePointId: 'CP-1', connectorId: 1, chargingProfileId: created.body.id });
    expect(got).toEqual([
      {
        connectorId: 1,
        csChargingProfiles: {
          chargingProfileId: created.body.id,
          stackLevel: 1,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Recurring',
          recurrencyKind: 'Daily',
          chargingSchedule: profile.chargingSchedule,
        },
      },
    ]);
    const stored = await api.call('GET', '/charge-points/CP-1/charging-profiles');
    expect(stored.body.items ?? stored.body).toEqual(expect.arrayContaining([expect.objectContaining({ chargingProfileId: created.body.id, status: 'Accepted' })]));
    expect((await api.call('POST', '/charge-points/CP-1/charging-profiles/apply', { body: { profileId: 999999, connectorId: 1 } })).status).toBe(404);
    expect((await api.call('DELETE', `/charging-profiles/${second.body.id}`)).status).toBe(204);
    expect((await api.call('GET', `/charging-profiles/${second.body.id}`)).status).toBe(404);
  });

  it('lists transactions latest received first by default (charger clocks cannot disorder it); sort=startedAt uses the charger clock', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { 'TAG-A': 'Accepted' } });
    const cp1 = await api.h.connect('CP-1');
    const cp2 = await api.h.connect('CP-2');
    await cp1.boot();
    await cp2.boot();
    const first = (await cp1.startTransaction({ connectorId: 1, idTag: 'TAG-A', meterStart: 0, timestamp: at(100) })).transactionId;
    // CP-2's clock is behind: its start reads earlier although it arrived later.
    const second = (await cp2.startTransaction({ connectorId: 1, idTag: 'TAG-A', meterStart: 0, timestamp: at(-3000) })).transactionId;
    const ids = async (q: string) => (await api.call('GET', `/transactions${q}`)).body.items.map((t: { id: number }) => t.id);
    expect(await ids('')).toEqual([second, first]);
    expect(await ids('?sort=receivedAt&order=asc')).toEqual([first, second]);
    expect(await ids('?sort=startedAt')).toEqual([first, second]);
    expect((await api.call('GET', '/transactions?sort=bogus')).status).toBe(400);
  });

  it('settings: a partial PUT names each missing field; PATCH changes only the given fields', async () => {
    const api = await startApi(db);
    const partial = await api.call('PUT', '/settings/tariff', { body: { value: { energyPricePerKwh: 3000 } } });
    expect(partial.status).toBe(400);
    expect(Object.keys(partial.body.error.fields).sort()).toEqual(['tariff.idleFeePerMinute', 'tariff.idleGraceMinutes', 'tariff.pricePerMinute', 'tariff.taxPercent']);
    expect(partial.body.error.fields['tariff.taxPercent']).toMatch(/is required/);
    const before = (await api.call('GET', '/settings/tariff')).body.value;
    const patched = await api.call('PATCH', '/settings/tariff', { body: { value: { energyPricePerKwh: 3000 } } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.value).toEqual({ ...before, energyPricePerKwh: 3000 });
    const badPatch = await api.call('PATCH', '/settings/tariff', { body: { value: { taxPercent: 150, surprise: 1 } } });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.error.fields).toMatchObject({ 'tariff.taxPercent': expect.any(String) });
    expect((await api.call('PATCH', '/settings/maintenanceMode', { body: { value: true } })).status).toBe(404);
  });
});
