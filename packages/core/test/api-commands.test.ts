/**
 * REST API v1 command endpoints end to end: `POST /charge-points/{id}/commands/{Action}` sends the
 * OCPP call to a fake charge point over a real websocket and returns its answer; offline → 409,
 * unknown → 404, timeout → 504, CALLERROR → 502, bad body → 400 naming the field, boot-state
 * rules → 409, scoping of RemoteStopTransaction; charging profiles through load management.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema } from '../src/persistence/entities/index.js';
import { definePlugin } from '../src/plugin.js';
import { startApi } from './api-fixtures.js';
import { at, closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('REST API commands on $name', (db) => {
  it("sends a command and returns the charge point's answer, audited with the key's name", async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const received: Array<[string, unknown]> = [];
    cp.handle('Reset', (r) => {
      received.push(['Reset', r]);
      return { status: 'Accepted' };
    });
    cp.handle('GetConfiguration', (r) => {
      received.push(['GetConfiguration', r]);
      return { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: ['Nope'] };
    });
    cp.handle('ClearCache', (r) => {
      received.push(['ClearCache', r]);
      return { status: 'Rejected' };
    });
    const operator = await api.keyFor('operator', 'night-shift');

    const reset = await api.call('POST', '/charge-points/CP-1/commands/Reset', { key: operator, body: { type: 'Hard' } });
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ status: 'Accepted' });
    const config = await api.call('POST', '/charge-points/CP-1/commands/GetConfiguration', { key: operator, body: { key: ['HeartbeatInterval', 'Nope'] } });
    expect(config.body).toEqual({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: ['Nope'] });
    // An action without fields may be posted without a body.
    const clear = await api.call('POST', '/charge-points/CP-1/commands/ClearCache', { key: operator });
    expect(clear.body).toEqual({ status: 'Rejected' });

    expect(received).toEqual([
      ['Reset', { type: 'Hard' }],
      ['GetConfiguration', { key: ['HeartbeatInterval', 'Nope'] }],
      ['ClearCache', {}],
    ]);
    const audit = await api.h.em().find(AuditLogSchema, { chargePoint: 'CP-1' }, { orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actor, a.action, a.outcome])).toEqual([
      ['api:night-shift', 'Reset', 'accepted'],
      ['api:night-shift', 'GetConfiguration', 'ok'],
      ['api:night-shift', 'ClearCache', 'rejected'],
    ]);
  });

  it('maps failures: unknown 404, offline 409, CALLERROR 502, timeout 504, not allowed 409', async () => {
    let bootStatus: 'Accepted' | 'Pending' = 'Accepted';
    const gate = definePlugin({ name: 'gate', hooks: { onBoot: () => ({ status: bootStatus }) } });
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'], plugins: [gate] });

    const unknown = await api.call('POST', '/charge-points/CP-404/commands/Reset', { body: { type: 'Soft' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe(CsmsErrorCode.NOT_FOUND);

    const offline = await api.call('POST', '/charge-points/CP-2/commands/Reset', { body: { type: 'Soft' } });
    expect(offline.status).toBe(409);
    expect(offline.body.error).toMatchObject({ code: CsmsErrorCode.CHARGE_POINT_OFFLINE, message: expect.stringContaining('not connected') });

    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const callError = await api.call('POST', '/charge-points/CP-1/commands/UnlockConnector', { body: { connectorId: 1 } });
    expect(callError.status).toBe(502);
    expect(callError.body.error).toMatchObject({ code: CsmsErrorCode.CALL_ERROR, rpcErrorCode: 'NotImplemented' });

    cp.handle('GetLocalListVersion', () => new Promise(() => {}));
    const timeout = await api.call('POST', '/charge-points/CP-1/commands/GetLocalListVersion?timeoutMs=200', { body: {} });
    expect(timeout.status).toBe(504);
    expect(timeout.body.error.code).toBe(CsmsErrorCode.CALL_TIMEOUT);

    bootStatus = 'Pending';
    await cp.boot();
    const pending = await api.call('POST', '/charge-points/CP-1/commands/RemoteStartTransaction', { body: { idTag: 'TAG-1' } });
    expect(pending.status).toBe(409);
    expect(pending.body.error.code).toBe(CsmsErrorCode.CALL_NOT_ALLOWED);

    const outcomes = (await api.h.em().find(AuditLogSchema, {}, { orderBy: { id: 'asc' } })).map((a) => [a.chargePoint, a.action, a.outcome]);
    expect(outcomes).toEqual([
      ['CP-2', 'Reset', 'offline'],
      ['CP-1', 'UnlockConnector', 'call-error'],
      ['CP-1', 'GetLocalListVersion', 'timeout'],
      ['CP-1', 'RemoteStartTransaction', 'not-allowed'],
    ]);
  });

  it('validates the body against the OCPP 1.6 schema of the action, naming the field', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const profiles: unknown[] = [];
    cp.handle('SetChargingProfile', (r) => {
      profiles.push(r);
      return { status: 'Accepted' };
    });
    const cases: Array<[string, unknown, string]> = [
      ['Reset', { type: 'Medium' }, 'type'],
      ['Reset', {}, 'type'],
      ['Reset', { type: 'Soft', force: true }, 'force'],
      ['ChangeAvailability', { connectorId: 'one', type: 'Operative' }, 'connectorId'],
      ['TriggerMessage', { requestedMessage: 'Everything' }, 'requestedMessage'],
      ['ChangeConfiguration', { key: 'K', value: 'x'.repeat(501) }, 'value'],
      ['SetChargingProfile', { connectorId: 1, csChargingProfiles: { chargingProfileId: 1, stackLevel: 1, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute' } }, 'csChargingProfiles.chargingSchedule'],
    ];
    for (const [action, body, field] of cases) {
      const r = await api.call('POST', `/charge-points/CP-1/commands/${action}`, { body });
      expect(r.status, `${action} ${JSON.stringify(body)}`).toBe(400);
      expect(Object.keys(r.body.error.fields), `${action} ${JSON.stringify(body)}`).toEqual([field]);
      expect(r.body.error.message).toContain(field);
    }
    expect((await api.call('POST', '/charge-points/CP-1/commands/Reset', { body: '[1]' })).status).toBe(400);
    expect((await api.call('POST', '/charge-points/CP-1/commands/Reset?timeoutMs=1', { body: { type: 'Soft' } })).status).toBe(400);
    expect((await api.call('POST', '/charge-points/CP-1/commands/Explode', { body: {} })).status).toBe(404);

    // A limit of 7.3 is a valid multiple of 0.1 (floating point must not reject it).
    const profile = {
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 7,
        stackLevel: 3,
        chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 7.3 }] },
      },
    };
    const ok = await api.call('POST', '/charge-points/CP-1/commands/SetChargingProfile', { body: profile });
    expect(ok.status, ok.text).toBe(200);
    expect(profiles).toEqual([profile]);
    expect(await api.h.em().count(AuditLogSchema, { outcome: 'invalid' })).toBe(0);
  });

  it("refuses RemoteStopTransaction for another charge point's transaction (404) and sends it for its own", async () => {
    const api = await startApi(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { 'TAG-1': 'Accepted' } });
    const cp1 = await api.h.connect('CP-1');
    const cp2 = await api.h.connect('CP-2');
    await cp1.boot();
    await cp2.boot();
    const { transactionId } = await cp1.startTransaction({ idTag: 'TAG-1', meterStart: 0, timestamp: at(0) });
    const stops: unknown[] = [];
    cp1.handle('RemoteStopTransaction', (r) => {
      stops.push(r);
      return { status: 'Accepted' };
    });
    cp2.handle('RemoteStopTransaction', () => ({ status: 'Accepted' }));

    const foreign = await api.call('POST', '/charge-points/CP-2/commands/RemoteStopTransaction', { body: { transactionId } });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.fields).toEqual({ transactionId: expect.any(String) });
    const own = await api.call('POST', '/charge-points/CP-1/commands/RemoteStopTransaction', { body: { transactionId } });
    expect(own.body).toEqual({ status: 'Accepted' });
    expect(stops).toEqual([{ transactionId }]);
  });

  it('sets, lists and clears charging profiles through load management', async () => {
    const api = await startApi(db, { chargePoints: ['CP-1'] });
    const cp = await api.h.connect('CP-1');
    await cp.boot();
    const calls: Array<[string, unknown]> = [];
    cp.handle('SetChargingProfile', (r) => {
      calls.push(['SetChargingProfile', r]);
      return { status: 'Accepted' };
    });
    cp.handle('ClearChargingProfile', (r) => {
      calls.push(['ClearChargingProfile', r]);
      return { status: 'Accepted' };
    });
    const operator = await api.keyFor('operator');
    const csChargingProfiles = {
      chargingProfileId: 42,
      stackLevel: 2,
      chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 11000 }] },
    };
    const set = await api.call('POST', '/charge-points/CP-1/charging-profiles', { key: operator, body: { connectorId: 0, csChargingProfiles } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ status: 'Accepted', profile: { chargePointId: 'CP-1', connectorId: 0, chargingProfileId: 42, stackLevel: 2, purpose: 'TxDefaultProfile', status: 'Accepted', loadManagement: false } });
    expect(calls).toEqual([['SetChargingProfile', { connectorId: 0, csChargingProfiles }]]);

    const listed = await api.call('GET', '/charge-points/CP-1/charging-profiles', { key: await api.keyFor('viewer') });
    expect(listed.body.items.map((p: { chargingProfileId: number }) => p.chargingProfileId)).toEqual([42]);

    const reserved = await api.call('POST', '/charge-points/CP-1/charging-profiles', {
      key: operator,
      body: { connectorId: 0, csChargingProfiles: { ...csChargingProfiles, chargingProfileId: 1_000_000_001 } },
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.code).toBe(CsmsErrorCode.COMMAND_INVALID);
    const noTx = await api.call('POST', '/charge-points/CP-1/charging-profiles', {
      key: operator,
      body: { connectorId: 1, csChargingProfiles: { ...csChargingProfiles, chargingProfilePurpose: 'TxProfile' } },
    });
    expect(noTx.status).toBe(409);
    expect(noTx.body.error.code).toBe(CsmsErrorCode.CALL_NOT_ALLOWED);

    const cleared = await api.call('POST', '/charge-points/CP-1/charging-profiles/clear', { key: operator, body: { id: 42 } });
    expect(cleared.body).toEqual({ status: 'Accepted', cleared: 1 });
    expect(calls.at(-1)).toEqual(['ClearChargingProfile', { id: 42 }]);
    expect((await api.call('GET', '/charge-points/CP-1/charging-profiles')).body.items).toEqual([]);
    expect((await api.call('GET', '/charge-points/CP-1/charging-profiles?includeCleared=true')).body.items[0]).toMatchObject({ chargingProfileId: 42, status: 'Cleared' });
    expect((await api.call('GET', '/load-management')).body).toMatchObject({ siteLimitKw: null });
  });
});
