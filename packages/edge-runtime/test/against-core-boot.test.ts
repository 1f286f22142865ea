import { join } from 'node:path';
import { ChargePointSchema, DeviceEventSchema, definePlugin, type CsmsPlugin, type RegistrationStatus } from '@charge-it/core';
import { silentLogger } from '@charge-it/core/kernel';
import type { TestCsms } from '@charge-it/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChargePoint, type ChargePointHandle } from '../src/create-charge-point.js';
import { coreRows, edgeConfig, pollUntil, startCore } from './support/core-harness.js';
import { FakeMeter } from './support/fake-meter.js';
import { removeDir, tempDir } from './support/test-charge-point.js';

/** A core plugin deciding BootNotification: `status` is what the next Boot gets (with `interval` unless Accepted); every decision is recorded. */
class BootDecider {
  status: RegistrationStatus = 'Pending';
  readonly decisions: Array<{ status: RegistrationStatus; at: number }> = [];
  readonly plugin: CsmsPlugin;

  constructor(interval: number) {
    this.plugin = definePlugin({
      name: 'boot-decider',
      hooks: {
        onBoot: () => {
          this.decisions.push({ status: this.status, at: Date.now() });
          // Accepted gets an ordinary heartbeat interval so that no Heartbeat mixes into the checks.
          return { status: this.status, interval: this.status === 'Accepted' ? 300 : interval };
        },
      },
    });
  }
}

describe('edge runtime against the real core: BootNotification Pending / Rejected', () => {
  let dir: string;
  let server: TestCsms;
  let cp: ChargePointHandle | undefined;
  /** Every CP→CS request the edge sent, in order. */
  let sent: string[];

  beforeEach(() => {
    dir = tempDir();
    sent = [];
  });

  afterEach(async () => {
    await cp?.stop();
    cp = undefined;
    await server.close();
    removeDir(dir);
  });

  async function startEdge(): Promise<ChargePointHandle> {
    cp = await createChargePoint(edgeConfig(server.ocppUrl, join(dir, 'edge')), { log: silentLogger, meterFactory: () => new FakeMeter() });
    cp.on('message', (action) => sent.push(String(action)));
    await cp.start();
    return cp;
  }

  const bootEvents = async (): Promise<string[]> =>
    (await server.csms.orm.em.fork().find(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'BootNotification' }, { orderBy: { id: 'asc' } })).map((e) => String(e.status));

  it('Pending: nothing but BootNotification until Accepted; configuration calls are answered meanwhile', async () => {
    const decider = new BootDecider(1);
    server = await startCore(dir, { chargePoints: ['CP-1'], idTags: { 'CARD-1': 'Accepted' }, plugins: [decider.plugin] });
    const edge = await startEdge();
    await pollUntil(() => edge.state.boot === 'Pending', 'Pending');
    // The core may read the configuration of a Pending charge point (provisioning).
    const session = server.csms.sessions.get('CP-1');
    expect(await session!.client.call('GetConfiguration', { key: ['HeartbeatInterval'] })).toMatchObject({ configurationKey: [{ key: 'HeartbeatInterval' }] });
    // Never accepted: a card is refused locally, no Authorize goes out.
    expect(await edge.presentCard({ idTag: 'CARD-1', source: 'test' })).toMatchObject({ result: 'refused' });
    // It boots again after the interval and is still Pending.
    await pollUntil(() => decider.decisions.length >= 2, 'a second BootNotification while Pending');
    expect(sent.every((a) => a === 'BootNotification')).toBe(true);

    decider.status = 'Accepted';
    await pollUntil(() => edge.state.boot === 'Accepted', 'Accepted', 10_000);
    await pollUntil(async () => (await coreRows(server)).statuses.length >= 2, 'statuses of connectors 0 and 1 in the core');

    const pendingBoots = decider.decisions.filter((d) => d.status === 'Pending').length;
    expect(pendingBoots).toBeGreaterThanOrEqual(2);
    expect(decider.decisions.map((d) => d.status)).toEqual([...Array(pendingBoots).fill('Pending'), 'Accepted']);
    // The edge's requests: only Boots until the Accepted one, then its status.
    expect(sent.slice(0, pendingBoots + 1)).toEqual(Array(pendingBoots + 1).fill('BootNotification'));
    expect(sent.slice(pendingBoots + 1, pendingBoots + 3)).toEqual(['StatusNotification', 'StatusNotification']);
    expect(await bootEvents()).toEqual(decider.decisions.map((d) => d.status));
    const rows = await coreRows(server);
    const acceptedAt = decider.decisions[decider.decisions.length - 1]!.at;
    expect(rows.statuses.every((s) => s.receivedAt.getTime() >= acceptedAt)).toBe(true);
    expect(rows.statuses.map((s) => [s.connectorId, s.status])).toEqual([
      [0, 'Available'],
      [1, 'Available'],
    ]);
    expect(rows.transactions).toEqual([]);
    const chargePoint = await server.csms.orm.em.fork().findOneOrFail(ChargePointSchema, { id: 'CP-1' });
    expect(chargePoint.registrationStatus).toBe('Accepted');
  });

  it('Rejected: the edge is silent (sends and answers nothing) until the interval passed, then boots again', async () => {
    const interval = 2;
    const decider = new BootDecider(interval);
    decider.status = 'Rejected';
    server = await startCore(dir, { chargePoints: ['CP-1'], plugins: [decider.plugin] });
    const edge = await startEdge();
    await pollUntil(() => edge.state.boot === 'Rejected', 'Rejected');
    decider.status = 'Accepted';
    // A call from the core gets no answer at all while Rejected.
    const session = server.csms.sessions.get('CP-1');
    await expect(session!.client.call('GetConfiguration', {}, { callTimeoutMs: 500 })).rejects.toThrow(/timeout/i);
    expect(sent).toEqual(['BootNotification']);

    await pollUntil(() => edge.state.boot === 'Accepted', 'Accepted after the interval', 10_000);
    await pollUntil(async () => (await coreRows(server)).statuses.length >= 2, 'statuses in the core');
    expect(decider.decisions.map((d) => d.status)).toEqual(['Rejected', 'Accepted']);
    // Not before the interval the core asked for (a lower bound, the spec's "minimum wait").
    expect(decider.decisions[1]!.at - decider.decisions[0]!.at).toBeGreaterThanOrEqual(interval * 1000);
    expect(sent.slice(0, 4)).toEqual(['BootNotification', 'BootNotification', 'StatusNotification', 'StatusNotification']);
    expect(await bootEvents()).toEqual(['Rejected', 'Accepted']);
    const rows = await coreRows(server);
    expect(rows.statuses.every((s) => s.receivedAt.getTime() >= decider.decisions[1]!.at)).toBe(true);
  });
});
