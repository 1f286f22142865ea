import { describe, expect, it } from 'vitest';
import { removeDir, tempDir, until, useChargePointTestEnv, type TestChargePoint } from './support/test-charge-point.js';

describe('edge runtime: BootNotification Pending / Rejected / Accepted', () => {
  const env = useChargePointTestEnv();

  it('Pending: sends only triggered requests, answers configuration calls, refuses RemoteStart/Stop, re-boots after the interval', async () => {
    const { csms } = env;
    let status = 'Pending';
    csms.answer('BootNotification', () => ({ status, currentTime: new Date().toISOString(), interval: 1 }));
    const { cp } = await env.start();
    await csms.waitFor('BootNotification');
    await until(() => cp.state.boot === 'Pending', 'Pending');
    expect(await csms.callCp('GetConfiguration', { key: ['HeartbeatInterval'] })).toMatchObject({ configurationKey: [{ key: 'HeartbeatInterval' }] });
    expect(await csms.callCp('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '30' })).toEqual({ status: 'Accepted' });
    expect(await csms.callCp('RemoteStartTransaction', { idTag: 'X', connectorId: 1 })).toEqual({ status: 'Rejected' });
    expect(await csms.callCp('RemoteStopTransaction', { transactionId: 1 })).toEqual({ status: 'Rejected' });
    // A card is refused: never accepted.
    expect(await cp.presentCard({ idTag: 'CARD', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await csms.callCp('TriggerMessage', { requestedMessage: 'StatusNotification', connectorId: 1 })).toEqual({ status: 'Accepted' });
    await csms.waitFor('StatusNotification');
    await csms.waitFor('BootNotification', () => true, 2);
    // Nothing but BootNotification and the triggered StatusNotification so far.
    expect(new Set(csms.calls.map((c) => c.action))).toEqual(new Set(['BootNotification', 'StatusNotification']));
    expect(csms.callsOf('StatusNotification')).toHaveLength(1);
    status = 'Accepted';
    await until(() => cp.state.boot === 'Accepted', 'Accepted', 5_000);
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 0);
    expect(cp.configValue('MeterValueSampleInterval')).toBe('30');
  });

  it('Rejected: sends nothing and answers nothing until the interval passed, then boots again', async () => {
    const { csms } = env;
    let status = 'Rejected';
    csms.answer('BootNotification', () => ({ status, currentTime: new Date().toISOString(), interval: 2 }));
    const { cp } = await env.start();
    await csms.waitFor('BootNotification');
    await until(() => cp.state.boot === 'Rejected', 'Rejected');
    await expect(csms.callCp('GetConfiguration', {}, 500)).rejects.toThrow(/timeout/i);
    status = 'Accepted';
    await csms.waitFor('BootNotification', () => true, 2, 5_000);
    await until(() => cp.state.boot === 'Accepted', 'Accepted');
    expect(csms.calls.slice(0, 2).map((c) => c.action)).toEqual(['BootNotification', 'BootNotification']);
    const gap = csms.calls[1]!.at - csms.calls[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(1_900);
  });

  it('interval 0 on Pending: waits its own default before the next Boot', async () => {
    const { csms } = env;
    csms.answer('BootNotification', () => ({ status: 'Pending', currentTime: new Date().toISOString(), interval: 0 }));
    await env.start();
    await csms.waitFor('BootNotification', () => true, 2, 5_000);
    expect(csms.calls[1]!.at - csms.calls[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('Accepted: heartbeat interval from the answer, clock offset from currentTime (system clock untouched)', async () => {
    const { csms } = env;
    const ahead = 3_600_000;
    csms.answer('BootNotification', () => ({ status: 'Accepted', currentTime: new Date(Date.now() + ahead).toISOString(), interval: 1 }));
    const { cp } = await env.start();
    await csms.waitFor('Heartbeat', () => true, 1, 5_000);
    expect(cp.configValue('HeartbeatInterval')).toBe('1');
    const status = await csms.waitFor('StatusNotification');
    const skew = Date.parse(status.params.timestamp) - Date.now();
    expect(skew).toBeGreaterThan(ahead - 60_000);
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(1000);
  });

  it('every start boots, also with unchanged boot data (a restart is a reboot); changed boot data is sent', async () => {
    const { csms } = env;
    let t = await env.start();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    await t.cp.stop();
    t = await env.start();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1, 2);
    expect(csms.callsOf('BootNotification')).toHaveLength(2);
    await t.cp.stop();
    await env.start({ boot: { chargePointVendor: 'Charge-IT', chargePointModel: 'Test', firmwareVersion: '2.0' } });
    const third = await csms.waitFor('BootNotification', () => true, 3);
    expect(third.params.firmwareVersion).toBe('2.0');
  });

  it('sends Basic auth and fails cleanly with a wrong password', async () => {
    const csms = await env.replaceCsms({ password: 'secret-123' });
    const t = await env.start({ password: 'secret-123' });
    await csms.waitFor('BootNotification');
    await t.cp.stop();
    const dir2 = tempDir();
    let wrong: TestChargePoint | undefined;
    try {
      wrong = await env.start({ dataDir: dir2, password: 'wrong', identity: 'CP-2' });
      await new Promise((r) => setTimeout(r, 500));
      expect(csms.calls.filter((c) => c.identity === 'CP-2')).toHaveLength(0);
      expect(wrong.cp.state.online).toBe(false);
    } finally {
      await wrong?.cp.stop();
      removeDir(dir2);
    }
  });
});
