import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceEventSchema, definePlugin } from '@charge-it/core';
import type { TestCsms } from '@charge-it/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChildChargePoint } from './support/child-charge-point.js';
import { coreRows, edgeConfig, pollUntil, startCore } from './support/core-harness.js';
import { pendingOutbox, queuedSamples, readingsOnce } from './support/outbox-journal.js';
import { removeDir, tempDir } from './support/test-charge-point.js';

describe('edge runtime against the real core: SIGKILL of the edge process', () => {
  let dir: string;
  let server: TestCsms | undefined;
  const children: ChildChargePoint[] = [];

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill9();
      await c.exited();
    }
    await server?.close();
    server = undefined;
    removeDir(dir);
  });

  it('killed with queued messages while the core is down, and again twice in the middle of delivery: every transaction once, every sample once', async () => {
    const dataDir = join(dir, 'edge');
    const meterFile = join(dir, 'meter.json');
    const setMeter = (wh: number): void => writeFileSync(meterFile, JSON.stringify({ energyWh: wh }));
    setMeter(1_000);
    server = await startCore(dir, { chargePoints: ['CP-1'], idTags: { 'CARD-1': 'Accepted', 'CARD-2': 'Accepted' } });
    const port = server.port;
    const config = edgeConfig(server.ocppUrl, dataDir, { ocppConfig: { MeterValueSampleInterval: 1, AllowOfflineTxForUnknownId: true } });
    const env = { CHILD_CONFIG: JSON.stringify(config), CHILD_METER_FILE: meterFile };
    const spawnChild = (): ChildChargePoint => {
      const child = new ChildChargePoint(env);
      children.push(child);
      return child;
    };
    const core = (): TestCsms => server as TestCsms;

    const first = spawnChild();
    await first.next('ready');
    await pollUntil(async () => (await coreRows(core())).statuses.some((s) => s.connectorId === 1), 'connector 1 status in the core');

    // The core goes down; two sessions happen offline (A complete, B still running).
    await core().close();
    server = undefined;
    await first.waitState((s) => !s.online, 'offline');
    first.send('plug 1');
    expect(await first.card('CARD-1')).toMatchObject({ result: 'started' });
    setMeter(1_400);
    await first.waitState((s) => s.queued >= 3, 'A: Start + 2 MeterValues queued');
    setMeter(1_500);
    expect(await first.card('CARD-1')).toMatchObject({ result: 'stopped' });
    expect(await first.card('CARD-2')).toMatchObject({ result: 'started' });
    const beforeB = await first.state();
    setMeter(1_650);
    await first.waitState((s) => s.queued >= beforeB.queued + 2, 'B: 2 MeterValues queued');

    // kill -9 with everything still queued.
    first.kill9();
    await first.exited();
    const queuedAtKill = pendingOutbox(dataDir);
    const [startA, , startB] = queuedAtKill.filter((m) => m.action !== 'MeterValues');
    expect(queuedAtKill.filter((m) => m.action !== 'MeterValues').map((m) => [m.action, m.payload.idTag])).toEqual([
      ['StartTransaction', 'CARD-1'],
      ['StopTransaction', 'CARD-1'],
      ['StartTransaction', 'CARD-2'],
    ]);

    // Restart while the core is still down: B, interrupted by the kill, is stopped (PowerLoss)
    // with the register read now; nothing else is added or lost.
    setMeter(1_700);
    const second = spawnChild();
    await second.next('ready');
    await second.waitState((s) => s.tx === null && s.queued === queuedAtKill.length + 1, 'B stopped with PowerLoss, queued');
    const queuedAfterRestart = pendingOutbox(dataDir);
    expect(queuedAfterRestart.slice(0, -1)).toEqual(queuedAtKill);
    const powerLossStop = queuedAfterRestart[queuedAfterRestart.length - 1]!;
    expect(powerLossStop).toMatchObject({ action: 'StopTransaction', txLocal: startB!.txLocal, payload: { meterStop: 1_700, reason: 'PowerLoss', idTag: 'CARD-2' } });

    // The core comes back (same port, same database). The first StartTransaction it receives is
    // processed and committed, but the charge point is killed before the answer reaches it: the
    // window in which a charge point resends a message the central system already has. The next
    // run is killed the same way on its first StopTransaction.
    const seen: Array<[string, string]> = [];
    let killOn: { reason: string; child: ChildChargePoint } | undefined;
    const killer = definePlugin({
      name: 'kill-before-answer',
      hooks: {
        onAuthorize: ({ idTag, reason }) => {
          if (reason === 'Authorize') return undefined;
          seen.push([reason, idTag]);
          if (killOn?.reason === reason) {
            killOn.child.kill9();
            killOn = undefined;
          }
          return undefined; // no decision: the IdTag table decides
        },
      },
    });
    killOn = { reason: 'StartTransaction', child: second };
    server = await startCore(dir, { port, plugins: [killer] });
    await second.exited();
    await pollUntil(async () => (await coreRows(core())).transactions.length === 1, 'A committed by the core');

    const third = spawnChild();
    killOn = { reason: 'StopTransaction', child: third };
    await third.next('ready');
    await third.exited();
    await pollUntil(async () => (await coreRows(core())).transactions[0]?.status === 'Completed', 'A stopped in the core');

    const fourth = spawnChild();
    await fourth.next('ready');
    await fourth.waitState((s) => s.online && s.queued === 0, 'outbox drained', 30_000);
    await core().csms.drain();

    // The resent StartTransaction and StopTransaction of A were recognised: one row, stored once.
    expect(seen).toEqual([
      ['StartTransaction', 'CARD-1'],
      ['StartTransaction', 'CARD-1'],
      ['StopTransaction', 'CARD-1'],
      ['StopTransaction', 'CARD-1'],
      ['StartTransaction', 'CARD-2'],
      ['StopTransaction', 'CARD-2'],
    ]);
    const rows = await coreRows(core());
    expect(rows.orphans).toEqual([]);
    expect(rows.transactions).toHaveLength(2);
    const [a, b] = rows.transactions;
    const stopA = queuedAtKill.find((m) => m.action === 'StopTransaction')!;
    expect(a).toMatchObject({ idTag: 'CARD-1', meterStart: 1_000, meterStop: 1_500, energyWh: 500, stopReason: 'Local', status: 'Completed' });
    expect(b).toMatchObject({ idTag: 'CARD-2', meterStart: 1_500, meterStop: 1_700, energyWh: 200, stopReason: 'PowerLoss', status: 'Completed' });
    expect(a!.startTimestamp.toISOString()).toBe(startA!.payload.timestamp);
    expect(a!.stopTimestamp!.toISOString()).toBe(stopA.payload.timestamp);
    expect(b!.startTimestamp.toISOString()).toBe(startB!.payload.timestamp);
    expect(b!.stopTimestamp!.toISOString()).toBe(powerLossStop.payload.timestamp);
    for (const t of rows.transactions) expect(t.flags).toEqual([]);

    // Every reading journaled before the kill (and the PowerLoss stop's data) is stored exactly once,
    // in order; the periodic readings StopTransaction.transactionData repeats are not stored again.
    const txOf = new Map([
      [startA!.txLocal, a!.id],
      [startB!.txLocal, b!.id],
    ]);
    expect(rows.samples.map((s) => [s.transaction, s.measurand, s.value, s.context, s.timestamp.toISOString()])).toEqual(
      readingsOnce(queuedSamples(queuedAfterRestart)).map((p) => [txOf.get(p.txLocal), p.measurand, p.value, p.context, p.timestamp]),
    );
    // Every run boots (a kill -9 is a reboot): the first, and the three runs after it.
    const boots = await core().csms.orm.em.fork().find(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'BootNotification' });
    expect(boots).toHaveLength(4);
  }, 90_000);
});
