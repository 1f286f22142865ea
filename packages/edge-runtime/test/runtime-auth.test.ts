import { beforeEach, describe, expect, it } from 'vitest';
import { until, useChargePointTestEnv, type TestChargePoint } from './support/test-charge-point.js';

describe('edge runtime: authorization cache, local list and offline rules', () => {
  const env = useChargePointTestEnv();

  beforeEach(() => {
    const info = (idTag: string) => ({
      status: idTag.startsWith('BLOCKED') ? 'Blocked' : 'Accepted',
      ...(idTag.startsWith('OLD') ? { expiryDate: new Date(Date.now() + 300).toISOString() } : {}),
    });
    let txId = 1;
    env.csms.answer('Authorize', (p) => ({ idTagInfo: info(p.idTag) }));
    env.csms.answer('StartTransaction', (p) => ({ transactionId: txId++, idTagInfo: info(p.idTag) }));
  });

  async function ready(ocppConfig: Record<string, string | number | boolean> = {}): Promise<TestChargePoint> {
    const t = await env.start({ ocppConfig });
    await env.csms.waitFor('StatusNotification', (p) => p.connectorId === 1);
    t.cp.plugIn(1);
    return t;
  }

  async function goOffline(cp: TestChargePoint['cp']): Promise<void> {
    await env.csms.stop();
    await until(() => !cp.state.online, 'offline');
  }

  it('offline: cached Accepted ids start, Blocked/expired/unknown ids are refused; the cache survives a restart', async () => {
    const { csms } = env;
    const { cp } = await ready();
    expect(await cp.presentCard({ idTag: 'BLOCKED-1', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await cp.presentCard({ idTag: 'OLD-1', source: 'test' })).toMatchObject({ result: 'started' });
    expect(await cp.presentCard({ idTag: 'OLD-1', source: 'test' })).toMatchObject({ result: 'stopped' });
    expect(await cp.presentCard({ idTag: 'GOOD-1', source: 'test' })).toMatchObject({ result: 'started' });
    expect(await cp.presentCard({ idTag: 'GOOD-1', source: 'test' })).toMatchObject({ result: 'stopped' });
    await until(() => cp.state.queuedMessages === 0, 'drained');
    await cp.stop();
    await goOffline(cp);
    await new Promise((r) => setTimeout(r, 400)); // OLD-1's expiryDate passes
    const { cp: cp2 } = await env.start();
    cp2.plugIn(1);
    const authorizesBefore = csms.callsOf('Authorize').length;
    expect(await cp2.presentCard({ idTag: 'BLOCKED-1', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await cp2.presentCard({ idTag: 'OLD-1', source: 'test' })).toMatchObject({ result: 'refused', reason: expect.stringContaining('Expired') });
    expect(await cp2.presentCard({ idTag: 'NEW-1', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await cp2.presentCard({ idTag: 'GOOD-1', source: 'test' })).toMatchObject({ result: 'started' });
    expect(csms.callsOf('Authorize').length).toBe(authorizesBefore);
  });

  it('offline with AllowOfflineTxForUnknownId: unknown ids start; StartTransaction.conf Invalid stops with DeAuthorized', async () => {
    const { csms } = env;
    csms.answer('StartTransaction', (p) => ({ transactionId: 42, idTagInfo: { status: p.idTag === 'STRANGER' ? 'Invalid' : 'Accepted' } }));
    const { cp } = await ready({ AllowOfflineTxForUnknownId: true });
    await goOffline(cp);
    expect(await cp.presentCard({ idTag: 'STRANGER', source: 'test' })).toMatchObject({ result: 'started' });
    await csms.restart();
    const stop = await csms.waitFor('StopTransaction');
    expect(stop.params).toMatchObject({ transactionId: 42, reason: 'DeAuthorized' });
  });

  it('StopTransactionOnInvalidId=false: the transaction stays, energy is cut (SuspendedEVSE)', async () => {
    const { csms } = env;
    csms.answer('StartTransaction', () => ({ transactionId: 43, idTagInfo: { status: 'Blocked' } }));
    const { cp, meters } = await ready({ AllowOfflineTxForUnknownId: true, StopTransactionOnInvalidId: false });
    await goOffline(cp);
    await cp.presentCard({ idTag: 'STRANGER', source: 'test' });
    expect(meters[0]!.lastDemand).toEqual({ charging: true, limitW: 11_000 });
    await csms.restart();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1 && p.status === 'SuspendedEVSE');
    expect(meters[0]!.lastDemand).toEqual({ charging: false, limitW: 0 });
    expect(csms.callsOf('StopTransaction')).toHaveLength(0);
    expect(cp.state.connectors[1]?.transaction?.transactionId).toBe(43);
  });

  it('local list: listed ids work offline and with LocalPreAuthorize online without Authorize; they never enter the cache', async () => {
    const { csms } = env;
    const { cp } = await ready({ LocalPreAuthorize: true, LocalAuthorizeOffline: true });
    expect(
      await csms.callCp('SendLocalList', {
        listVersion: 1,
        updateType: 'Full',
        localAuthorizationList: [
          { idTag: 'LIST-OK', idTagInfo: { status: 'Accepted' } },
          { idTag: 'LIST-BLOCKED', idTagInfo: { status: 'Blocked' } },
          { idTag: 'LIST-EXPIRED', idTagInfo: { status: 'Accepted', expiryDate: new Date(Date.now() - 1000).toISOString() } },
        ],
      }),
    ).toEqual({ status: 'Accepted' });
    expect(await cp.presentCard({ idTag: 'LIST-OK', source: 'test' })).toMatchObject({ result: 'started' });
    expect(csms.callsOf('Authorize')).toHaveLength(0);
    expect(await cp.presentCard({ idTag: 'LIST-OK', source: 'test' })).toMatchObject({ result: 'stopped' });
    await goOffline(cp);
    expect(await cp.presentCard({ idTag: 'LIST-BLOCKED', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await cp.presentCard({ idTag: 'LIST-EXPIRED', source: 'test' })).toMatchObject({ result: 'refused' });
    expect(await cp.presentCard({ idTag: 'LIST-OK', source: 'test' })).toMatchObject({ result: 'started' });
  });

  it('LocalAuthorizeOffline=false and AuthorizationCacheEnabled=false refuse cached ids offline', async () => {
    const { cp } = await ready({ AuthorizationCacheEnabled: false });
    expect(await cp.presentCard({ idTag: 'GOOD-2', source: 'test' })).toMatchObject({ result: 'started' });
    expect(await cp.presentCard({ idTag: 'GOOD-2', source: 'test' })).toMatchObject({ result: 'stopped' });
    await goOffline(cp);
    expect(await cp.presentCard({ idTag: 'GOOD-2', source: 'test' })).toMatchObject({ result: 'refused' });
  });

  it('ClearCache empties the cache', async () => {
    const { csms } = env;
    const { cp } = await ready();
    expect(await cp.presentCard({ idTag: 'GOOD-3', source: 'test' })).toMatchObject({ result: 'started' });
    expect(await cp.presentCard({ idTag: 'GOOD-3', source: 'test' })).toMatchObject({ result: 'stopped' });
    await until(() => cp.state.queuedMessages === 0, 'drained');
    expect(await csms.callCp('ClearCache', {})).toEqual({ status: 'Accepted' });
    await goOffline(cp);
    expect(await cp.presentCard({ idTag: 'GOOD-3', source: 'test' })).toMatchObject({ result: 'refused' });
  });
});
