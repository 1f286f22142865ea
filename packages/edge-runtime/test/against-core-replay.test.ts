import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceEventSchema } from '@charge-it/core';
import type { TestCsms } from '@charge-it/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REBOOT_INFO } from '../src/ocpp/boot-state-machine.js';
import { ChildChargePoint } from './support/child-charge-point.js';
import { coreRows, edgeConfig, pollUntil, startCore, within } from './support/core-harness.js';
import { OcppProxy } from './support/ocpp-proxy.js';
import { pendingOutbox, queuedSamples, type JournaledMessage } from './support/outbox-journal.js';
import { removeDir, tempDir } from './support/test-charge-point.js';

/* Exactly-once replay end to end (issue 13 §2): a charge point process with a full outbox is
 * killed (SIGKILL) at every step of the replay, each time after the real core has processed and
 * committed a message but before the answer reaches the charge point, and the core is restarted
 * in the same window. Whatever is resent, the core stores every transaction once and every
 * reading once, including the readings StopTransaction.transactionData repeats. A proxy on
 * loopback (OcppProxy) withholds the chosen answer; the kill happens while it is withheld. */

const TX_ACTIONS = new Set(['StartTransaction', 'MeterValues', 'StopTransaction']);

/** One reading: what makes two rows the same reading of the meter (this meter has one location). */
const readingKey = (s: { timestamp: Date | string; measurand: string; phase?: string | null }): string => `${new Date(s.timestamp).toISOString()}|${s.measurand}|${s.phase ?? ''}`;

describe('edge runtime against the real core: exactly-once replay under SIGKILL and core restarts', () => {
  let dir: string;
  let server: TestCsms | undefined;
  let proxy: OcppProxy | undefined;
  const children: ChildChargePoint[] = [];

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill9();
      await c.exited();
    }
    await proxy?.close();
    proxy = undefined;
    await server?.close();
    server = undefined;
    removeDir(dir);
  });

  /**
   * The core behind a proxy, a charge point child that was accepted once, then an offline session
   * (Start, `samples` periodic MeterValues, Stop) and a kill -9 with all of it still queued.
   */
  async function offlineSessionThenKill(samples: number) {
    const dataDir = join(dir, 'edge');
    const meterFile = join(dir, 'meter.json');
    const setMeter = (wh: number): void => writeFileSync(meterFile, JSON.stringify({ energyWh: wh }));
    setMeter(5_000);
    server = await startCore(dir, { chargePoints: ['CP-1'], idTags: { 'CARD-1': 'Accepted' } });
    const core = server;
    proxy = await OcppProxy.start(`ws://127.0.0.1:${core.port}`);
    const config = edgeConfig(proxy.url(new URL(core.ocppUrl).pathname), dataDir, {
      ocppConfig: { MeterValueSampleInterval: 1, AllowOfflineTxForUnknownId: true, MeterValuesSampledData: 'Energy.Active.Import.Register,Power.Active.Import' },
    });
    const childEnv = { CHILD_CONFIG: JSON.stringify(config), CHILD_METER_FILE: meterFile };
    const spawnChild = (): ChildChargePoint => {
      const child = new ChildChargePoint(childEnv);
      children.push(child);
      return child;
    };

    const first = spawnChild();
    await first.next('ready');
    await first.waitState((s) => s.online && s.boot === 'Accepted', 'accepted once');
    proxy.accepting = false;
    proxy.dropAll();
    await first.waitState((s) => !s.online, 'offline');
    first.send('plug 1');
    expect(await first.card('CARD-1')).toMatchObject({ result: 'started' });
    for (let i = 1; i <= samples; i++) {
      setMeter(5_000 + i * 250);
      await first.waitState((s) => s.queued >= 1 + i, `${i} MeterValues queued`);
    }
    setMeter(5_000 + samples * 250 + 100);
    expect(await first.card('CARD-1')).toMatchObject({ result: 'stopped' });
    await first.waitState((s) => s.tx === null, 'stopped');
    first.kill9();
    await first.exited();
    const queued = pendingOutbox(dataDir);
    expect(queued.map((m) => m.action)).toEqual(['StartTransaction', ...Array(samples).fill('MeterValues'), 'StopTransaction']);
    return { queued, spawnChild, dataDir, finalWh: 5_000 + samples * 250 + 100 };
  }

  /** What the core must hold in the end: each distinct reading of the journal once. */
  function expectedReadings(queued: readonly JournaledMessage[]): string[] {
    const distinct = new Map<string, string>();
    for (const s of queuedSamples(queued)) {
      const key = readingKey(s);
      distinct.set(key, `${key}|${s.value}`);
    }
    return [...distinct.values()].sort();
  }

  async function expectStoredOnce(queued: readonly JournaledMessage[], finalWh: number): Promise<void> {
    const core = server as TestCsms;
    await core.csms.drain();
    const rows = await coreRows(core);
    expect(rows.orphans).toEqual([]);
    expect(rows.transactions).toHaveLength(1);
    expect(rows.transactions[0]).toMatchObject({ idTag: 'CARD-1', meterStart: 5_000, meterStop: finalWh, energyWh: finalWh - 5_000, stopReason: 'Local', status: 'Completed', flags: [] });
    const stored = rows.samples.map((s) => `${readingKey(s)}|${s.value}`);
    const counts = new Map<string, number>();
    for (const k of stored) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect([...stored].sort()).toEqual(expectedReadings(queued));
    expect(rows.samples.every((s) => s.transaction === rows.transactions[0]?.id)).toBe(true);
  }

  it('killed after the core committed each message in turn (Boot, Start, every MeterValues, Stop): every transaction and every reading stored once', async () => {
    const samples = 4;
    const { queued, spawnChild, dataDir, finalWh } = await offlineSessionThenKill(samples);
    const p = proxy as OcppProxy;
    const withheld: string[] = [];
    let run = 0;
    let txResults = 0;
    const killedRuns = new Set<number>();
    let child: ChildChargePoint | undefined;
    // Run 1: killed on the answer to its BootNotification. Run 2: on its first transaction message
    // (the Start). Every later run: on its second one (the first is the resend of the message the
    // previous run was killed on), so that each message is once committed and never acknowledged.
    p.onResult = ({ action }) => {
      const which = run === 1 ? action === 'BootNotification' : TX_ACTIONS.has(action) && ++txResults === (run === 2 ? 1 : 2);
      if (!which) return false;
      withheld.push(action);
      killedRuns.add(run);
      child?.kill9();
      return true;
    };
    p.accepting = true;
    let drained = false;
    while (!drained) {
      run++;
      expect(run).toBeLessThanOrEqual(queued.length + 3);
      txResults = 0;
      child = spawnChild();
      try {
        await child.next('ready');
        await child.waitState((s) => s.online && s.queued === 0, 'outbox drained', 30_000);
        drained = true;
      } catch (err) {
        if (child.alive) throw err;
        await within(child.exited(), 'killed child gone');
        if (!killedRuns.has(run)) throw new Error(`run ${run}: the charge point died without being killed (exit ${child.proc.exitCode}, signal ${child.proc.signalCode}): ${(err as Error).message}`);
      }
    }
    expect(withheld).toEqual(['BootNotification', 'StartTransaction', ...Array(samples).fill('MeterValues'), 'StopTransaction']);
    expect(pendingOutbox(dataDir)).toEqual([]);
    await expectStoredOnce(queued, finalWh);
    // Every run booted (a kill -9 is a reboot), the first one included.
    const boots = await (server as TestCsms).csms.orm.em.fork().find(DeviceEventSchema, { chargePoint: 'CP-1', kind: 'BootNotification' });
    expect(boots).toHaveLength(run + 1);
    // The central system sees why: connector 0's status info, stored and in the live state.
    const zero = (await coreRows(server as TestCsms)).statuses.filter((s) => s.connectorId === 0).map((s) => s.info);
    expect(zero[0]).toBe(REBOOT_INFO.firstStart);
    expect(zero.filter((i) => i === REBOOT_INFO.unclean).length).toBeGreaterThanOrEqual(1);
    const live = (server as TestCsms).csms.services.get('live').connector('CP-1', 0);
    expect(live?.info).toBe(REBOOT_INFO.unclean);
  }, 180_000);

  it('the core restarts after committing a MeterValues and a StopTransaction whose answers never left: the resends are stored once', async () => {
    const samples = 3;
    const { queued, spawnChild, finalWh } = await offlineSessionThenKill(samples);
    const p = proxy as OcppProxy;
    const port = (server as TestCsms).port;
    let restart: Promise<void> | undefined;
    const withheld: string[] = [];
    let seenMeterValues = 0;
    p.onResult = ({ action }) => {
      const hit = (action === 'MeterValues' && ++seenMeterValues === 2 && !withheld.includes('MeterValues')) || (action === 'StopTransaction' && !withheld.includes('StopTransaction'));
      if (!hit) return false;
      withheld.push(action);
      // The core goes down with the answer unsent (its memory of recent messages is lost), and comes back.
      p.accepting = false;
      restart = (async () => {
        await (server as TestCsms).close();
        server = await startCore(dir, { port });
        p.accepting = true;
      })();
      return true;
    };
    p.accepting = true;
    const child = spawnChild();
    await child.next('ready');
    await pollUntil(() => withheld.length === 1, 'the second MeterValues withheld', 30_000);
    await within(restart as Promise<void>, 'core restarted');
    await pollUntil(() => withheld.length === 2, 'the StopTransaction withheld', 30_000);
    await within(restart as Promise<void>, 'core restarted again');
    await child.waitState((s) => s.online && s.queued === 0, 'outbox drained', 30_000);
    expect(withheld).toEqual(['MeterValues', 'StopTransaction']);
    await expectStoredOnce(queued, finalWh);
  }, 120_000);
});
