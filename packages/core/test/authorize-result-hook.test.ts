import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin } from '../src/index.js';
import { createTestCsms, FakeChargePoint, type TestCsms } from '../src/testing/index.js';

describe('onAuthorizeResult', () => {
  const seen: { chargePointId: string; idTag: string; reason: string; status: string; decidedBy: string }[] = [];
  let t: TestCsms;
  let cp: FakeChargePoint;

  beforeAll(async () => {
    const observer = definePlugin({ name: 'observer', hooks: { onAuthorizeResult: (p) => void seen.push({ ...p }) } });
    const vip = definePlugin({ name: 'vip', hooks: { onAuthorize: ({ idTag }) => (idTag === 'VIP-1' ? { status: 'Accepted' } : undefined) } });
    t = await createTestCsms({ chargePoints: ['CP-1'], idTags: { 'OK-1': 'Accepted', 'BAD-1': 'Blocked' }, plugins: [vip, observer] });
    cp = new FakeChargePoint({ url: t.ocppUrlFor('CP-1'), identity: 'CP-1' });
    await cp.connect();
    await cp.boot();
  });
  afterAll(async () => {
    await cp?.close();
    await t?.close();
  });

  it('tells observers every answer, refused ones included, and who decided', async () => {
    expect((await cp.authorize('OK-1')).idTagInfo.status).toBe('Accepted');
    expect((await cp.authorize('BAD-1')).idTagInfo.status).toBe('Blocked');
    expect((await cp.authorize('NOBODY')).idTagInfo.status).toBe('Invalid');
    expect((await cp.authorize('VIP-1')).idTagInfo.status).toBe('Accepted');
    await t.csms.drain();
    expect(seen).toEqual([
      { chargePointId: 'CP-1', idTag: 'OK-1', reason: 'Authorize', status: 'Accepted', decidedBy: 'idTag table' },
      { chargePointId: 'CP-1', idTag: 'BAD-1', reason: 'Authorize', status: 'Blocked', decidedBy: 'idTag table' },
      { chargePointId: 'CP-1', idTag: 'NOBODY', reason: 'Authorize', status: 'Invalid', decidedBy: 'idTag table' },
      { chargePointId: 'CP-1', idTag: 'VIP-1', reason: 'Authorize', status: 'Accepted', decidedBy: 'plugin' },
    ]);
  });
});
