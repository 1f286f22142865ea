/**
 * REST API v1 writes end to end: idTags CRUD (validation, case-insensitive, local list told),
 * charge point registration with a generated Basic-auth key shown once (a profile-1 charge point
 * connects with it; rotate-key invalidates the old one), settings with field errors, reservations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema, ChargePointSchema, IdTagSchema, ReservationSchema } from '../src/persistence/entities/index.js';
import { FakeChargePoint } from '../src/testing/index.js';
import { startApi } from './api-fixtures.js';
import { closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

/** Polls `check` (bounded) until it returns true. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(testDatabases())('REST API writes on $name', (db) => {
  it('creates, reads, changes and deletes idTags, case-insensitively, with validation naming the field', async () => {
    const api = await startApi(db);
    const created = await api.call('POST', '/id-tags', { body: { idTag: 'Card-7', ownerName: 'Budi', expiryDate: '2030-01-01T00:00:00.000Z' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      idTag: 'Card-7',
      status: 'Accepted',
      parentIdTag: null,
      expiryDate: '2030-01-01T00:00:00.000Z',
      ownerName: 'Budi',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await api.call('GET', '/id-tags/CARD-7')).body).toMatchObject({ idTag: 'Card-7', ownerName: 'Budi' });

    const duplicate = await api.call('POST', '/id-tags', { body: { idTag: 'card-7' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({ code: CsmsErrorCode.CONFLICT, fields: { idTag: 'already exists' } });

    const invalid: Array<[unknown, string]> = [
      [{ idTag: 'X', status: 'Blocked-ish' }, 'status'],
      [{ idTag: 'this-id-tag-is-far-too-long' }, 'idTag'],
      [{ idTag: 'has space' }, 'idTag'],
      [{ status: 'Accepted' }, 'idTag'],
      [{ idTag: 'X', expiryDate: 'next week' }, 'expiryDate'],
      [{ idTag: 'X', stauts: 'Blocked' }, 'stauts'],
      [{ idTag: 'X', parentIdTag: 'x' }, 'parentIdTag'],
    ];
    for (const [body, field] of invalid) {
      const bad = await api.call('POST', '/id-tags', { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.code).toBe(CsmsErrorCode.INPUT_INVALID);
      expect(Object.keys(bad.body.error.fields), JSON.stringify(body)).toEqual([field]);
      expect(bad.body.error.message).toContain(field);
    }
    expect((await api.call('POST', '/id-tags', { body: '{"idTag":', headers: { 'content-type': 'application/json' } })).status).toBe(400);

    const patched = await api.call('PATCH', '/id-tags/card-7', { body: { status: 'Blocked', parentIdTag: 'GROUP-1', ownerName: null } });
    expect(patched.body).toMatchObject({ idTag: 'Card-7', status: 'Blocked', parentIdTag: 'GROUP-1', ownerName: null });
    expect((await api.call('PATCH', '/id-tags/Card-7', { body: {} })).status).toBe(400);
    expect((await api.call('PATCH', '/id-tags/NOPE', { body: { status: 'Blocked' } })).status).toBe(404);
    const row = await api.h.em().findOneOrFail(IdTagSchema, { idTag: 'Card-7' });
    expect(row).toMatchObject({ status: 'Blocked', parentIdTag: 'GROUP-1', ownerName: null });

    await api.call('POST', '/id-tags', { body: { idTag: 'CARD-8', status: 'Invalid', ownerName: 'Sari' } });
    expect((await api.call('GET', '/id-tags')).body).toMatchObject({ total: 2, items: [{ idTag: 'Card-7' }, { idTag: 'CARD-8' }] });
    expect((await api.call('GET', '/id-tags?status=Invalid')).body.items.map((t: { idTag: string }) => t.idTag)).toEqual(['CARD-8']);
    expect((await api.call('GET', '/id-tags?q=sar')).body.items.map((t: { idTag: string }) => t.idTag)).toEqual(['CARD-8']);

    const deleted = await api.call('DELETE', '/id-tags/CARD-7');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await api.call('GET', '/id-tags/Card-7')).status).toBe(404);
    expect((await api.call('DELETE', '/id-tags/Card-7')).status).toBe(404);

    const audit = await api.h.em().find(AuditLogSchema, {}, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['CreateIdTag', 'UpdateIdTag', 'CreateIdTag', 'DeleteIdTag']);
    expect(audit.every((a) => a.actor === 'api:bootstrap-admin')).toBe(true);
  });

  it('pushes an idTag change to connected charge points through the local list', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    api.h.server.csms.services.get('localList').configure({ dirtyDelayMs: 10, syncDelayMs: 60_000 });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const sent: Array<{ listVersion: number; updateType: string; localAuthorizationList?: Array<{ idTag: string }> }> = [];
    cp.handle('GetConfiguration', () => ({ configurationKey: [] }));
    cp.handle('GetLocalListVersion', () => ({ listVersion: sent.at(-1)?.listVersion ?? 0 }));
    cp.handle('SendLocalList', (request) => {
      sent.push(request);
      return { status: 'Accepted' };
    });
    expect((await api.call('POST', '/id-tags', { body: { idTag: 'CARD-1' } })).status).toBe(201);
    await eventually(() => sent.some((s) => s.localAuthorizationList?.some((e) => e.idTag === 'CARD-1')), 'SendLocalList with CARD-1');
  });

  it('registers a charge point with a Basic-auth key shown once; the key connects, rotate-key replaces it', async () => {
    const api = await startApi(db);
    const registered = await api.call('POST', '/charge-points', { body: { id: 'CP-SECURE', securityProfile: 1, maxPowerKw: 22, description: 'Bay 3' } });
    expect(registered.status).toBe(201);
    const key = registered.body.authKey as string;
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    expect(registered.body.chargePoint).toMatchObject({ id: 'CP-SECURE', securityProfile: 1, hasAuthKey: true, maxPowerKw: 22, description: 'Bay 3', online: false });
    const row = await api.h.em().findOneOrFail(ChargePointSchema, { id: 'CP-SECURE' });
    expect(row.authKeyHash).toMatch(/^hs256\$/); // a generated key: salted HMAC-SHA256 (docs/ocpp-gateway.md "Password checks")
    const shown = await api.call('GET', '/charge-points/CP-SECURE');
    expect(shown.text).not.toContain(key);
    expect(shown.body).not.toHaveProperty('authKey');

    const url = api.h.server.ocppUrlFor('CP-SECURE');
    await expect(new FakeChargePoint({ url, identity: 'CP-SECURE' }).connect()).rejects.toThrow();
    await expect(new FakeChargePoint({ url, identity: 'CP-SECURE', password: 'f'.repeat(40) }).connect()).rejects.toThrow();
    const cp = await api.h.connect('CP-SECURE', { password: key });
    expect((await cp.boot()).status).toBe('Accepted');
    expect((await api.call('GET', '/charge-points/CP-SECURE')).body.online).toBe(true);

    // The route sends the new key with ChangeConfiguration (A01) and stores it once the charger accepts it.
    const received: string[] = [];
    cp.handle('ChangeConfiguration', (params: { key: string; value: string }) => {
      received.push(`${params.key}=${params.value}`);
      return { status: 'Accepted' };
    });
    const rotated = await api.call('POST', '/charge-points/CP-SECURE/rotate-key');
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.authKey as string;
    expect(newKey).toMatch(/^[0-9a-f]{40}$/);
    expect(newKey).not.toBe(key);
    expect(received).toEqual([`AuthorizationKey=${newKey}`]);
    await cp.close();
    await expect(new FakeChargePoint({ url, identity: 'CP-SECURE', password: key }).connect()).rejects.toThrow();
    const again = await api.h.connect('CP-SECURE', { password: newKey });
    expect((await again.boot()).status).toBe('Accepted');

    const audit = await api.h.em().find(AuditLogSchema, { chargePoint: 'CP-SECURE' }, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['RegisterChargePoint', 'ChangeConfiguration', 'RotateChargePointKey']);
    expect(JSON.stringify(audit)).not.toContain(key);
    expect(JSON.stringify(audit)).not.toContain(newKey);
  });

  it('validates charge point registration and changes', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const open = await api.call('POST', '/charge-points', { body: { id: 'CP-OPEN', securityProfile: 0 } });
    expect(open.status).toBe(201);
    expect(open.body).not.toHaveProperty('authKey');

    const cases: Array<[unknown, number, string]> = [
      [{ id: 'CP-1', securityProfile: 0 }, 409, 'id'],
      [{ id: 'cp-open', securityProfile: 0 }, 409, 'id'],
      [{ id: 'CP 2', securityProfile: 0 }, 400, 'id'],
      [{ id: 'CP-2', securityProfile: 3 }, 400, 'securityProfile'],
      [{ id: 'CP-2' }, 400, 'securityProfile'],
      [{ id: 'CP-2', securityProfile: 2 }, 400, 'securityProfile'],
      [{ id: 'CP-2', securityProfile: 0, maxPowerKw: -1 }, 400, 'maxPowerKw'],
    ];
    for (const [body, status, field] of cases) {
      const r = await api.call('POST', '/charge-points', { body });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(Object.keys(r.body.error.fields ?? {}), JSON.stringify(body)).toEqual([field]);
    }

    const patched = await api.call('PATCH', '/charge-points/CP-1', { body: { maxPowerKw: 7.4, description: 'Parking B' } });
    expect(patched.body).toMatchObject({ chargePoint: { id: 'CP-1', maxPowerKw: 7.4, description: 'Parking B', securityProfile: 0 } });
    expect(patched.body).not.toHaveProperty('authKey');
    const raised = await api.call('PATCH', '/charge-points/CP-1', { body: { securityProfile: 1 } });
    expect(raised.body.authKey).toMatch(/^[0-9a-f]{40}$/);
    expect(raised.body.chargePoint).toMatchObject({ securityProfile: 1, hasAuthKey: true });
    const cleared = await api.call('PATCH', '/charge-points/CP-1', { body: { maxPowerKw: null, securityProfile: 0 } });
    expect(cleared.body.chargePoint).toMatchObject({ maxPowerKw: null, securityProfile: 0, hasAuthKey: false });
    expect((await api.call('POST', '/charge-points/CP-1/rotate-key')).status).toBe(409);
    expect((await api.call('PATCH', '/charge-points/CP-404', { body: { description: 'x' } })).status).toBe(404);
    expect((await api.call('PATCH', '/charge-points/CP-1', { body: {} })).status).toBe(400);
  });

  it('reads and replaces settings; invalid values answer 400 with every field named', async () => {
    const api = await startApi(db);
    const all = await api.call('GET', '/settings');
    expect(all.body).toMatchObject({ tariff: { energyPricePerKwh: 2467, taxPercent: 11 }, site: { maxGridPowerKw: null }, maintenanceMode: false });

    const tariff = { energyPricePerKwh: 3000, pricePerMinute: 0, idleFeePerMinute: 500, idleGraceMinutes: 10, taxPercent: 11 };
    const put = await api.call('PUT', '/settings/tariff', { body: { value: tariff } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ key: 'tariff', value: tariff });
    expect((await api.call('GET', '/settings/tariff')).body).toEqual({ key: 'tariff', value: tariff });

    const bad = await api.call('PUT', '/settings/tariff', { body: { value: { ...tariff, energyPricePerKwh: 'abc', taxPercent: 150, surprise: 1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe(CsmsErrorCode.SETTING_INVALID);
    expect(bad.body.error.fields).toEqual({
      'tariff.energyPricePerKwh': expect.any(String),
      'tariff.taxPercent': expect.any(String),
      'tariff.surprise': 'unknown field',
    });
    // Numbers in strings are not coerced: the value is stored exactly as validated.
    const quoted = await api.call('PUT', '/settings/tariff', { body: { value: { ...tariff, energyPricePerKwh: '3000' } } });
    expect(Object.keys(quoted.body.error.fields)).toEqual(['tariff.energyPricePerKwh']);

    const site = await api.call('PUT', '/settings/site', { body: { value: { maxGridPowerKw: 5, minPowerPerConnectorKw: 6, defaultChargePointMaxKw: 22 } } });
    expect(site.status).toBe(400);
    expect(site.body.error.fields).toEqual({ 'site.minPowerPerConnectorKw': expect.stringContaining('site limit') });
    expect((await api.call('PUT', '/settings/maintenanceMode', { body: { value: 'yes' } })).body.error.fields).toEqual({ maintenanceMode: 'must be true or false' });
    expect((await api.call('PUT', '/settings/maintenanceMode', { body: {} })).body.error.fields).toEqual({ value: 'is required' });
    expect((await api.call('PUT', '/settings/maintenanceMode', { body: { value: true } })).body).toEqual({ key: 'maintenanceMode', value: true });
    expect((await api.call('PUT', '/settings/unknown', { body: { value: 1 } })).status).toBe(404);

    const audit = await api.h.em().find(AuditLogSchema, { action: 'ChangeSetting' }, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actor, (a.request as { key: string }).key])).toEqual([
      ['api:bootstrap-admin', 'tariff'],
      ['api:bootstrap-admin', 'maintenanceMode'],
    ]);
  });

  it('reserves a connector and cancels the reservation through the reservations service', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { 'TAG-1': 'Accepted' } });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const calls: Array<[string, unknown]> = [];
    cp.handle('ReserveNow', (r) => {
      calls.push(['ReserveNow', r]);
      return { status: 'Accepted' };
    });
    cp.handle('CancelReservation', (r) => {
      calls.push(['CancelReservation', r]);
      return { status: 'Accepted' };
    });
    const operator = await api.keyFor('operator');
    const expiryDate = new Date(Date.now() + 3_600_000).toISOString();
    const made = await api.call('POST', '/charge-points/CP-1/reservations', { key: operator, body: { connectorId: 1, idTag: 'TAG-1', expiryDate } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ chargePointId: 'CP-1', connectorId: 1, idTag: 'TAG-1', status: 'Accepted', expiryDate });
    expect(calls).toEqual([['ReserveNow', { connectorId: 1, idTag: 'TAG-1', expiryDate, reservationId: made.body.id }]]);

    expect((await api.call('GET', '/reservations?chargePointId=CP-1&status=Accepted')).body).toMatchObject({ total: 1, items: [{ id: made.body.id }] });
    expect((await api.call('GET', `/reservations/${made.body.id}`)).body.status).toBe('Accepted');

    const viewer = await api.keyFor('viewer');
    expect((await api.call('POST', `/reservations/${made.body.id}/cancel`, { key: viewer })).status).toBe(403);
    const cancelled = await api.call('POST', `/reservations/${made.body.id}/cancel`, { key: operator });
    expect(cancelled.body).toMatchObject({ status: 'Accepted', reservation: { id: made.body.id, status: 'Cancelled' } });
    expect((await api.call('POST', `/reservations/${made.body.id}/cancel`, { key: operator })).status).toBe(409);

    const offline = await api.call('POST', '/charge-points/CP-2/reservations', { key: operator, body: { connectorId: 1, idTag: 'TAG-1', expiryDate } });
    expect(offline.status).toBe(409);
    expect(offline.body.error.code).toBe(CsmsErrorCode.CHARGE_POINT_OFFLINE);
    expect((await api.call('POST', '/charge-points/CP-404/reservations', { key: operator, body: { connectorId: 1, idTag: 'TAG-1', expiryDate } })).status).toBe(404);
    const past = await api.call('POST', '/charge-points/CP-1/reservations', { key: operator, body: { connectorId: 1, idTag: 'TAG-1', expiryDate: '2000-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect(await api.h.em().count(ReservationSchema, {})).toBe(1);
  });
});
