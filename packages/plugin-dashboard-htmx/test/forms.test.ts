import { FakeChargePoint } from '@charge-it/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases, type TestDatabase } from '@charge-it/core/testing';
import { startHarness, type Client, type Harness } from './support/harness.js';

const EN = { 'accept-language': 'en' };

describe.each(testDatabases().map((k) => [k.name, k] as const))('forms act through the core services, show errors beside the field, and are audited (%s)', (_name, kind) => {
  let db: TestDatabase;
  let h: Harness;
  let admin: Client;
  let cp: FakeChargePoint;

  beforeAll(async () => {
    db = await kind.create();
    h = await startHarness({ csms: { databaseUrl: db.databaseUrl, chargePoints: ['CP-1'] } });
    admin = await h.login();
    // English texts for assertions
    await admin.post('/dashboard/preferences/locale', { locale: 'en', return: '/' });
    cp = new FakeChargePoint({ url: h.t.ocppUrlFor('CP-1'), identity: 'CP-1' });
    cp.handle('Reset', () => ({ status: 'Accepted' }));
    cp.handle('UnlockConnector', () => ({ status: 'Unlocked' }));
    cp.handle('GetConfiguration', () => ({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }, { key: 'NumberOfConnectors', readonly: true, value: '2' }], unknownKey: [] }));
    cp.handle('ReserveNow', () => ({ status: 'Accepted' }));
    cp.handle('CancelReservation', () => ({ status: 'Accepted' }));
    cp.handle('ChangeConfiguration', ({ key }: { key: string }) => ({ status: key === 'HeartbeatInterval' ? 'Accepted' : 'NotSupported' }));
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Available');
  });
  afterAll(async () => {
    await cp?.close();
    await h?.close();
    await db?.dispose();
  });

  const audit = async (action: string) => (await h.t.csms.services.get('queries').auditLog({ action, limit: 5 })).items;

  it('tariff: a bad value is shown beside its field and nothing changes; a good one is saved and audited', async () => {
    const before = await h.t.csms.services.get('settings').get('tariff');
    const bad = await admin.post('/dashboard/settings/tariff', { energyPricePerKwh: 'abc', pricePerMinute: '0', idleFeePerMinute: '0', idleGraceMinutes: '15', taxPercent: '150' }, { htmx: true });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toMatch(/class="field invalid"><span>Energy price[\s\S]*?<span class="field-error" id="err-energyPricePerKwh">must be a number<\/span>/);
    expect(await h.t.csms.services.get('settings').get('tariff')).toEqual(before);
    const core = await admin.post('/dashboard/settings/tariff', { energyPricePerKwh: '2500', pricePerMinute: '0', idleFeePerMinute: '0', idleGraceMinutes: '15', taxPercent: '150' }, { htmx: true });
    expect(core.statusCode).toBe(422);
    expect(core.body).toContain('id="err-taxPercent">must be a percentage from 0 to 100');
    const ok = await admin.post('/dashboard/settings/tariff', { energyPricePerKwh: '3000', pricePerMinute: '100', idleFeePerMinute: '500', idleGraceMinutes: '10', taxPercent: '11' }, { htmx: true });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['hx-trigger']).toContain('toast');
    expect(await h.t.csms.services.get('settings').get('tariff')).toEqual({ energyPricePerKwh: 3000, pricePerMinute: 100, idleFeePerMinute: 500, idleGraceMinutes: 10, taxPercent: 11 });
    const rows = await audit('ChangeSetting');
    expect(rows[0]!.actor).toBe('dashboard:admin');
    // without htmx: the whole page again, with the saved values
    const plain = await admin.post('/dashboard/settings/tariff', { energyPricePerKwh: '3000', pricePerMinute: '100', idleFeePerMinute: '500', idleGraceMinutes: '10', taxPercent: '11' });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toContain('<!doctype html>');
  });

  it('grid limit and maintenance mode', async () => {
    const bad = await admin.post('/dashboard/settings/site', { maxGridPowerKw: '-5', minPowerPerConnectorKw: '1.4', defaultChargePointMaxKw: '22' }, { htmx: true });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="err-maxGridPowerKw"');
    const ok = await admin.post('/dashboard/settings/site', { maxGridPowerKw: '11', minPowerPerConnectorKw: '1.4', defaultChargePointMaxKw: '22' }, { htmx: true });
    expect(ok.statusCode).toBe(200);
    expect((await h.t.csms.services.get('settings').get('site')).maxGridPowerKw).toBe(11);
    const cleared = await admin.post('/dashboard/settings/site', { maxGridPowerKw: '', minPowerPerConnectorKw: '1.4', defaultChargePointMaxKw: '22' }, { htmx: true });
    expect(cleared.statusCode).toBe(200);
    expect((await h.t.csms.services.get('settings').get('site')).maxGridPowerKw).toBeNull();
    const on = await admin.post('/dashboard/settings/maintenance', { enabled: 'true' }, { htmx: true });
    expect(on.statusCode).toBe(200);
    expect(on.body).toContain('Maintenance mode is ON');
    expect(await h.t.csms.services.get('settings').get('maintenanceMode')).toBe(true);
    await admin.post('/dashboard/settings/maintenance', { enabled: 'false' }, { htmx: true });
    expect(await h.t.csms.services.get('settings').get('maintenanceMode')).toBe(false);
    expect((await admin.post('/dashboard/settings/maintenance', { enabled: 'maybe' }, { htmx: true })).statusCode).toBe(422);
  });

  it('RFID cards: add (errors beside fields), block, unblock, edit, CSV import with line errors', async () => {
    const missing = await admin.post('/dashboard/settings/cards', { idTag: '', status: 'Accepted' }, { htmx: true });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('id="err-idTag">is required');
    const badDate = await admin.post('/dashboard/settings/cards', { idTag: 'CARD-1', status: 'Accepted', expiryDate: '2026-13-45' }, { htmx: true });
    expect(badDate.statusCode).toBe(422);
    expect(badDate.body).toContain('id="err-expiryDate"');
    const ok = await admin.post('/dashboard/settings/cards', { idTag: 'CARD-1', status: 'Accepted', ownerName: 'Budi', expiryDate: '2030-01-31' }, { htmx: true });
    expect(ok.statusCode).toBe(200);
    const tag = await h.t.csms.services.get('idTags').get('CARD-1');
    expect(tag).toMatchObject({ status: 'Accepted', ownerName: 'Budi' });
    expect(tag!.expiryDate!.startsWith('2030-01-31')).toBe(true); // end of 31 Jan WIB = 2030-01-31T17:00Z
    const dup = await admin.post('/dashboard/settings/cards', { idTag: 'CARD-1', status: 'Accepted' }, { htmx: true });
    expect(dup.statusCode).toBe(422);
    const blocked = await admin.post('/dashboard/settings/cards/CARD-1/block', {}, { htmx: true });
    expect(blocked.statusCode).toBe(200);
    expect(blocked.body).toContain('Blocked');
    expect((await h.t.csms.services.get('idTags').get('CARD-1'))!.status).toBe('Blocked');
    await admin.post('/dashboard/settings/cards/CARD-1/unblock', {}, { htmx: true });
    expect((await h.t.csms.services.get('idTags').get('CARD-1'))!.status).toBe('Accepted');
    const edit = await admin.post('/dashboard/settings/cards/CARD-1', { status: 'Accepted', ownerName: 'Siti', parentIdTag: '', expiryDate: '' }, { htmx: true });
    expect(edit.statusCode).toBe(200);
    expect((await h.t.csms.services.get('idTags').get('CARD-1'))).toMatchObject({ ownerName: 'Siti', expiryDate: null });
    const imported = await admin.post('/dashboard/settings/cards/import', { csv: 'idTag,status,ownerName\nCSV-1,Accepted,Ani\nCSV-2,Blocked,Rudi\nTHIS-IDTAG-IS-FAR-TOO-LONG-X,Accepted,x\n' }, { htmx: true });
    expect(imported.statusCode).toBe(200);
    expect(imported.body).toContain('2 created, 0 updated, 1 lines refused');
    expect(imported.body).toContain('Line 4');
    expect((await h.t.csms.services.get('idTags').get('CSV-2'))!.status).toBe('Blocked');
    const empty = await admin.post('/dashboard/settings/cards/import', { csv: '  ' }, { htmx: true });
    expect(empty.statusCode).toBe(422);
  });

  it('users: add with field errors, change a role (sessions follow), remove (sessions end)', async () => {
    const bad = await admin.post('/dashboard/settings/users', { username: 'x', password: 'short', role: 'viewer' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toMatch(/id="err-username"/);
    expect(bad.body).toMatch(/id="err-password"/);
    expect(bad.body).not.toContain('value="short"');
    const ok = await admin.post('/dashboard/settings/users', { username: 'ops-1', password: 'ops-password-1', role: 'operator' });
    expect(ok.statusCode).toBe(303);
    const ops = await h.login('ops-1', 'ops-password-1');
    expect((await ops.get('/dashboard/audit')).statusCode).toBe(200);
    await admin.post('/dashboard/settings/users/ops-1/role', { role: 'viewer' });
    expect((await ops.get('/dashboard/audit')).statusCode).toBe(403);
    await admin.post('/dashboard/settings/users/ops-1/delete', {});
    expect((await ops.get('/dashboard/stations')).statusCode).toBe(303);
    expect((await h.t.csms.services.get('adminUsers').list()).map((u) => u.username)).not.toContain('ops-1');
    expect((await admin.post('/dashboard/settings/users/admin/delete', {})).statusCode).toBe(422);
  });

  it('own password change needs the current password', async () => {
    const wrong = await admin.post('/dashboard/settings/password', { current: 'nope', password: 'new-password-123' }, { htmx: true });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('id="err-current"');
  });

  it('API keys: created key shown once, works on the REST API, revoked key stops', async () => {
    const bad = await admin.post('/dashboard/settings/api-keys', { name: '', role: 'viewer' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="err-name"');
    const res = await admin.post('/dashboard/settings/api-keys', { name: 'billing', role: 'viewer' });
    expect(res.statusCode).toBe(200);
    const key = /id="new-api-key">([^<]+)</.exec(res.body)![1]!;
    const api = await h.inject({ method: 'GET', url: '/api/v1/charge-points', headers: { authorization: `Bearer ${key}` } });
    expect(api.statusCode).toBe(200);
    const listed = await admin.get('/dashboard/settings/api-keys');
    expect(listed.body).not.toContain(key);
    const id = (await h.t.csms.services.get('apiKeys').list()).find((k) => k.name === 'billing')!.id;
    expect((await admin.post(`/dashboard/settings/api-keys/${id}/revoke`, {})).statusCode).toBe(303);
    expect((await h.inject({ method: 'GET', url: '/api/v1/charge-points', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(401);
  });

  it('register a charge point: errors beside fields; the key is shown once with a local QR code, and it connects with it', async () => {
    const bad = await admin.post('/dashboard/stations', { id: 'bad id!', securityProfile: '1' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="err-id"');
    const ok = await admin.post('/dashboard/stations', { id: 'CP-NEW', securityProfile: '1', maxPowerKw: '22', description: 'Bay 2' });
    expect(ok.statusCode).toBe(200);
    const key = /id="auth-key">([^<]+)</.exec(ok.body)![1]!;
    expect(ok.body).toMatch(/<div class="qr"[^>]*><svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const dup = await admin.post('/dashboard/stations', { id: 'CP-NEW', securityProfile: '0' });
    expect(dup.statusCode).toBe(422);
    const fresh = new FakeChargePoint({ url: h.t.ocppUrlFor('CP-NEW'), identity: 'CP-NEW', password: key });
    await fresh.connect();
    expect((await fresh.boot()).status).toBe('Accepted');
    await fresh.close();
    expect((await audit('RegisterChargePoint'))[0]!.actor).toBe('dashboard:admin');
  });

  it('operator commands: the charger answer comes back into the form; errors beside fields; audited', async () => {
    const reset = await admin.post('/dashboard/stations/CP-1/commands/reset', { type: 'Soft' }, { htmx: true });
    expect(reset.statusCode).toBe(200);
    expect(reset.body).toContain('data-status="Accepted"');
    const unlock = await admin.post('/dashboard/stations/CP-1/commands/unlock', { connectorId: '1' }, { htmx: true });
    expect(unlock.body).toContain('data-status="Unlocked"');
    const invalid = await admin.post('/dashboard/stations/CP-1/commands/remote-start', { connectorId: '1', idTag: '' }, { htmx: true });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.body).toContain('id="err-idTag"');
    const offline = await admin.post('/dashboard/stations/CP-OFF/commands/reset', { type: 'Hard' }, { htmx: true });
    expect(offline.body).toContain('data-status="CHARGE_POINT_OFFLINE"');
    const unsupported = await admin.post('/dashboard/stations/CP-1/commands/clear-cache', {}, { htmx: true });
    expect(unsupported.body).toContain('data-status="CALL_ERROR"'); // the fake charger has no ClearCache handler → CALLERROR NotImplemented
    const rows = await audit('Reset');
    expect(rows.map((r) => r.actor)).toContain('dashboard:admin');
    const cfg = await admin.post('/dashboard/stations/CP-1/configuration/read', {}, { htmx: true });
    expect(cfg.body).toContain('HeartbeatInterval');
    expect(cfg.body).toContain('read-only');
    const change = await admin.post('/dashboard/stations/CP-1/configuration', { key: 'HeartbeatInterval', value: '60' }, { htmx: true });
    expect(change.body).toContain('data-status="Accepted"');
    // reserve, then the reservation is offered in the cancel form and cancelled
    const reserved = await admin.post('/dashboard/stations/CP-1/commands/reserve', { connectorId: '1', idTag: 'RES-TAG', expiryMinutes: '30' }, { htmx: true });
    expect(reserved.statusCode).toBe(200);
    expect(reserved.body).toContain('data-status="Accepted"');
    const page = await admin.get('/dashboard/stations/CP-1');
    const option = /<form class="cmd" id="cmd-cancel-reservation"[\s\S]*?<option value="(\d+)"[^>]*>#\d+ · RES-TAG<\/option>/.exec(page.body);
    expect(option).not.toBeNull();
    const cancelled = await admin.post('/dashboard/stations/CP-1/commands/cancel-reservation', { reservationId: option![1]! }, { htmx: true });
    expect(cancelled.body).toContain('data-status="Accepted"');
  });
});
