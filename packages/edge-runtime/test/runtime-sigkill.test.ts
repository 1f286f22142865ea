import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedCsms } from './support/scripted-csms.js';
import { removeDir, tempDir, testConfig } from './support/test-charge-point.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A charge point in a child process (Node runs the TypeScript sources directly). */
class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly #lines: Array<Record<string, unknown>> = [];
  #waiters: Array<() => void> = [];

  constructor(env: Record<string, string>) {
    this.proc = spawn(process.execPath, ['--experimental-transform-types', '--no-warnings', '--import', './ts-loader.mjs', 'charge-point-child.ts'], {
      cwd: fixtures,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      try {
        this.#lines.push(JSON.parse(line));
      } catch {
        /* not ours */
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.proc.stderr.on('data', (d) => process.stderr.write(d));
  }

  async next(event: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#lines.findIndex((l) => l.event === event);
      if (i >= 0) return this.#lines.splice(i, 1)[0] as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`child: no "${event}" within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(cmd: string): void {
    this.proc.stdin.write(`${cmd}\n`);
  }

  async state(): Promise<{ online: boolean; queued: number; tx: unknown }> {
    this.send('state');
    return (await this.next('state')) as never;
  }

  async waitState(pred: (s: { online: boolean; queued: number; tx: unknown }) => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (pred(await this.state())) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`child never reached: ${what}`);
  }

  kill9(): Promise<void> {
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill('SIGKILL');
    });
  }
}

describe('edge runtime: SIGKILL durability of the outbox', () => {
  let csms: ScriptedCsms;
  let dir: string;
  const children: Child[] = [];

  beforeEach(async () => {
    csms = await ScriptedCsms.start();
    dir = tempDir();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.proc.exitCode === null && c.proc.signalCode === null) await c.kill9();
    await csms.close();
    removeDir(dir);
  });

  it('kill -9 with queued messages and a running transaction: after restart nothing is lost, nothing duplicated', async () => {
    const meterFile = join(dir, 'meter.json');
    const setMeter = (wh: number): void => writeFileSync(meterFile, JSON.stringify({ energyWh: wh }));
    setMeter(1_000);
    const config = testConfig(csms, join(dir, 'data'), {
      ocppConfig: { MeterValueSampleInterval: 1, AllowOfflineTxForUnknownId: true, LocalAuthorizeOffline: true },
    });
    const env = { CHILD_CONFIG: JSON.stringify(config), CHILD_METER_FILE: meterFile };

    const first = new Child(env);
    children.push(first);
    await first.next('ready');
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);

    // Outage: everything from here is queued in the journal only.
    await csms.stop();
    await first.waitState((s) => !s.online, 'offline');
    first.send('plug 1');
    first.send('card CARD-A');
    expect((await first.next('card')).outcome).toMatchObject({ result: 'started' });
    setMeter(1_400);
    await first.waitState((s) => s.queued >= 3, 'Start + 2 MeterValues queued');
    setMeter(1_500);
    first.send('card CARD-A');
    expect((await first.next('card')).outcome).toMatchObject({ result: 'stopped' });
    first.send('card CARD-B');
    expect((await first.next('card')).outcome).toMatchObject({ result: 'started' });
    setMeter(1_650);
    const before = await first.state();
    await first.waitState((s) => s.queued >= before.queued + 2, 'B: two more MeterValues queued');
    const queuedAtKill = (await first.state()).queued;
    await first.kill9();

    // Restart from the same dataDir, CS back.
    setMeter(1_700);
    await csms.restart();
    const second = new Child(env);
    children.push(second);
    await second.next('ready');
    await csms.waitFor('StopTransaction', () => true, 2, 20_000);
    await second.waitState((s) => s.queued === 0 && s.online, 'outbox drained');

    const tx = csms.calls.filter((c) => ['StartTransaction', 'StopTransaction', 'MeterValues'].includes(c.action));
    // Everything queued before the kill, plus the PowerLoss stop of the transaction that was running.
    expect(tx.length).toBeGreaterThanOrEqual(queuedAtKill + 1);
    const keys = tx.map((c) => JSON.stringify([c.action, c.params]));
    expect(new Set(keys).size).toBe(keys.length);
    expect(tx.map((c) => c.action).filter((a) => a !== 'MeterValues')).toEqual(['StartTransaction', 'StopTransaction', 'StartTransaction', 'StopTransaction']);
    const [startA, stopA, startB, stopB] = tx.filter((c) => c.action !== 'MeterValues');
    expect(startA?.params).toMatchObject({ idTag: 'CARD-A', meterStart: 1_000 });
    expect(stopA?.params).toMatchObject({ meterStop: 1_500, reason: 'Local', transactionId: 100 });
    expect(startB?.params).toMatchObject({ idTag: 'CARD-B', meterStart: 1_500 });
    expect(stopB?.params).toMatchObject({ meterStop: 1_700, reason: 'PowerLoss', transactionId: 101 });
    // Each MeterValues carries the id of its own transaction, in time order.
    const stamps = tx.map((c) => Date.parse(c.action === 'MeterValues' ? c.params.meterValue[0].timestamp : c.params.timestamp));
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    const startBIndex = tx.indexOf(startB!);
    for (const [i, c] of tx.entries()) if (c.action === 'MeterValues') expect(c.params.transactionId).toBe(i < startBIndex ? 100 : 101);
  }, 60_000);
});
