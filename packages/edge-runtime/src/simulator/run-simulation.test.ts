import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EdgeConfig } from '../config/edge-config.js';
import type { CardOutcome, CardPresentation } from '../plugins/card-presentation.js';
import type { EdgePlugin } from '../plugins/edge-plugin.js';
import { runSimulation, type SimulatedChargePointHandle, type SimulationOptions } from './run-simulation.js';
import type { SimulationStats } from './summary-line.js';

/**
 * A stand-in charge point that applies the tap rule (plugged + card starts, same card stops,
 * other card refused) so the simulator's scripts can be tested without a central system.
 * The real runtime is exercised by the CLI end-to-end test.
 */
class FakeChargePoint implements SimulatedChargePointHandle {
  readonly state = { boot: 'NotBooted', online: false, connectors: [{ plugged: false, transaction: undefined as string | undefined }] };
  readonly listeners = new Map<string, Array<(...a: unknown[]) => void>>();
  stopped = false;
  readonly taps: CardPresentation[] = [];

  constructor(
    readonly config: EdgeConfig,
    readonly plugins: EdgePlugin[],
  ) {}

  async start(): Promise<void> {
    for (const p of this.plugins) {
      await p.setup?.({
        pluginName: p.name,
        log: silentLogger,
        onClose: () => {},
        identity: this.config.identity,
        presentCard: (card) => this.present(card),
        chargePoint: undefined as never,
        reportHealth: () => {},
      });
    }
    this.state.online = true;
    this.state.boot = 'Accepted';
    this.emit('message', 'BootNotification');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state.online = false;
  }

  plugIn(connectorId: number): void {
    this.state.connectors[connectorId - 1]!.plugged = true;
  }

  unplug(connectorId: number): void {
    this.state.connectors[connectorId - 1]!.plugged = false;
  }

  on(event: string, fn: (...args: unknown[]) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const fn of this.listeners.get(event) ?? []) fn(...args);
  }

  private async present(card: CardPresentation): Promise<CardOutcome> {
    this.taps.push(card);
    const c = this.state.connectors[(card.connectorId ?? 1) - 1]!;
    if (c.transaction === undefined) {
      if (!c.plugged) return { result: 'ignored', reason: 'not plugged' };
      c.transaction = card.idTag;
      this.emit('message', 'StartTransaction');
      return { result: 'started', connectorId: 1 };
    }
    if (c.transaction === card.idTag) {
      c.transaction = undefined;
      this.emit('message', 'StopTransaction');
      return { result: 'stopped', connectorId: 1 };
    }
    return { result: 'refused', reason: 'busy' };
  }
}

describe('runSimulation', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charge-it-sim-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const options = (o: Partial<SimulationOptions>): SimulationOptions => ({
    csmsUrl: 'ws://127.0.0.1:1/ocpp',
    count: 3,
    prefix: 'SIM-',
    sessions: 'scripted',
    durationS: 2.5,
    dataDir: dir,
    connectorsPerCp: 1,
    sessionSeconds: 1,
    startSpreadMs: 0,
    seed: 7,
    maxPowerW: 11000,
    ...o,
  });

  it('runs N charge points with scripted sessions and ends every session and charge point', async () => {
    const cps: FakeChargePoint[] = [];
    const seen: SimulationStats[] = [];
    const final = await runSimulation(options({}), {
      log: silentLogger,
      createChargePoint: async (config, { plugins }) => {
        const cp = new FakeChargePoint(config, plugins);
        cps.push(cp);
        return cp;
      },
      onStats: (s) => seen.push(s),
    });
    expect(cps.map((cp) => cp.config.identity)).toEqual(['SIM-001', 'SIM-002', 'SIM-003']);
    expect(cps.map((cp) => cp.config.dataDir)).toEqual(['SIM-001', 'SIM-002', 'SIM-003'].map((id) => join(dir, id)));
    expect(cps.every((cp) => cp.stopped)).toBe(true);
    expect(final.total).toBe(3);
    expect(final.activeTx).toBe(0);
    expect(final.sessionsStarted).toBeGreaterThanOrEqual(3);
    expect(final.sessionsStopped).toBe(final.sessionsStarted);
    expect(final.errors).toBe(0);
    expect(final.msgsSent).toBe(3 + final.sessionsStarted * 2);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.some((s) => s.booted === 3)).toBe(true);
    // every card tap used the charge point's own cards
    for (const cp of cps) {
      const own = cp.config.identity.replace(/[^A-Za-z0-9]/g, '');
      expect(cp.taps.every((t) => t.idTag.startsWith(own) && t.source === 'simulated-reader')).toBe(true);
    }
  });

  it('stops early on the abort signal and counts a charge point that fails to start', async () => {
    const abort = new AbortController();
    let n = 0;
    const run = runSimulation(options({ durationS: undefined, sessions: 'random', count: 2 }), {
      log: silentLogger,
      signal: abort.signal,
      createChargePoint: async (config, { plugins }) => {
        if (n++ === 0) throw new Error('boom');
        return new FakeChargePoint(config, plugins);
      },
    });
    setTimeout(() => abort.abort(), 300);
    const final = await run;
    expect(final.errors).toBe(1);
    expect(final.total).toBe(2);
  });
});
