import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { AuditLogSchema } from '../src/persistence/entities/index.js';
import { definePlugin } from '../src/plugin.js';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('operator commands on $name', (db) => {
  it('sends a typed call, returns the answer and audits it', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    const cp = await h.connect('CP-1');
    await cp.boot();
    const seen: unknown[] = [];
    cp.handle('Reset', (params) => {
      seen.push(params);
      return { status: 'Accepted' };
    });
    const answer = await h.server.csms.chargePoints.get('CP-1').reset({ type: 'Soft' }, { actor: 'api:ops' });
    expect(answer).toEqual({ status: 'Accepted' });
    expect(seen).toEqual([{ type: 'Soft' }]);
    const audit = await h.em().find(AuditLogSchema, {});
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'api:ops', action: 'Reset', chargePoint: 'CP-1', request: { type: 'Soft' }, result: { status: 'Accepted' }, outcome: 'accepted' });
  });

  it('fails clearly when offline, on CALLERROR, on timeout and on an invalid request — and audits each', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'], ocpp: { callTimeoutMs: 300 } });
    const commands = h.server.csms.chargePoints;
    await expect(commands.get('CP-2').clearCache()).rejects.toMatchObject({ code: CsmsErrorCode.CHARGE_POINT_OFFLINE });

    const cp = await h.connect('CP-1');
    await cp.boot();
    // No handler: the fake charge point answers NotImplemented.
    await expect(commands.get('CP-1').unlockConnector({ connectorId: 1 })).rejects.toMatchObject({
      code: CsmsErrorCode.CALL_ERROR,
      details: expect.objectContaining({ rpcErrorCode: 'NotImplemented' }),
    });
    cp.handle('GetLocalListVersion', () => new Promise(() => {}));
    await expect(commands.get('CP-1').getLocalListVersion()).rejects.toMatchObject({ code: CsmsErrorCode.CALL_TIMEOUT });
    await expect(commands.get('CP-1').changeAvailability({ connectorId: 1, type: 'Broken' as never })).rejects.toMatchObject({
      code: CsmsErrorCode.COMMAND_INVALID,
    });
    const outcomes = (await h.em().find(AuditLogSchema, {}, { orderBy: { id: 'asc' } })).map((a) => [a.chargePoint, a.action, a.outcome]);
    expect(outcomes).toEqual([
      ['CP-2', 'ClearCache', 'offline'],
      ['CP-1', 'UnlockConnector', 'call-error'],
      ['CP-1', 'GetLocalListVersion', 'timeout'],
      ['CP-1', 'ChangeAvailability', 'invalid'],
    ]);
  });

  it('never writes the AuthorizationKey value to the audit log', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    const cp = await h.connect('CP-1');
    await cp.boot();
    cp.handle('ChangeConfiguration', () => ({ status: 'Accepted' }));
    await h.server.csms.chargePoints.get('CP-1').changeConfiguration({ key: 'AuthorizationKey', value: 'a'.repeat(40) });
    const [row] = await h.em().find(AuditLogSchema, { action: 'ChangeConfiguration' });
    expect(row!.request).toEqual({ key: 'AuthorizationKey', value: '***' });
  });

  it('serialises calls to one charge point: one in flight at a time', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    const cp = await h.connect('CP-1');
    await cp.boot();
    let inFlight = 0;
    let maxInFlight = 0;
    cp.handle('ChangeConfiguration', async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return { status: 'Accepted' };
    });
    const cmd = h.server.csms.chargePoints.get('CP-1');
    const answers = await Promise.all([1, 2, 3].map((n) => cmd.changeConfiguration({ key: 'HeartbeatInterval', value: String(60 * n) })));
    expect(answers.every((a) => a.status === 'Accepted')).toBe(true);
    expect(maxInFlight).toBe(1);
  });

  it('respects boot state: no RemoteStart/Stop while Pending, nothing while Rejected', async () => {
    let status: 'Pending' | 'Rejected' = 'Pending';
    const gate = definePlugin({ name: 'gate', hooks: { onBoot: () => ({ status }) } });
    const h = await startRules(db, { chargePoints: ['CP-1'], plugins: [gate] });
    const cp = await h.connect('CP-1');
    await cp.boot();
    cp.handle('GetConfiguration', () => ({ configurationKey: [] }));
    const cmd = h.server.csms.chargePoints.get('CP-1');
    await expect(cmd.remoteStartTransaction({ idTag: 'TAG' })).rejects.toMatchObject({ code: CsmsErrorCode.CALL_NOT_ALLOWED });
    await expect(cmd.remoteStopTransaction({ transactionId: 1 })).rejects.toMatchObject({ code: CsmsErrorCode.CALL_NOT_ALLOWED });
    expect(await cmd.getConfiguration()).toEqual({ configurationKey: [] });

    status = 'Rejected';
    await cp.boot();
    await expect(cmd.getConfiguration()).rejects.toMatchObject({ code: CsmsErrorCode.CALL_NOT_ALLOWED });
    cp.handle('TriggerMessage', () => ({ status: 'Accepted' }));
    expect(await cmd.triggerMessage({ requestedMessage: 'BootNotification' })).toEqual({ status: 'Accepted' });
  });
});
