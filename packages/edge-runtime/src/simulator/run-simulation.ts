import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TIMED_OUT, withTimeout, type Logger } from '@charge-it/core/kernel';
import { loadEdgeConfig, type EdgeConfig } from '../config/edge-config.js';
import type { EdgePlugin } from '../plugins/edge-plugin.js';
import { simulatedReader, type SimulatedReaderPlugin } from '../readers/simulated-reader.js';
import { createRandom } from './random-source.js';
import type { SimulationStats } from './summary-line.js';

/** What the simulator needs of a charge point (a subset of createChargePoint's handle). */
export interface SimulatedChargePointHandle {
  start(): Promise<void>;
  stop(options?: { graceful?: boolean }): Promise<void>;
  plugIn(connectorId: number): void;
  unplug(connectorId: number): void;
  readonly state: {
    readonly boot: string;
    readonly online: boolean;
    readonly connectors: ReadonlyArray<{ readonly transaction?: unknown }>;
  };
  on(event: string, fn: (...args: unknown[]) => void): void;
}

export type ChargePointFactory = (
  config: EdgeConfig,
  options: { plugins: EdgePlugin[]; log: Logger },
) => Promise<SimulatedChargePointHandle>;

export interface SimulationOptions {
  csmsUrl: string;
  count: number;
  /** Identity prefix; identities are prefix + 1-based number padded to the width of count (SIM-001). */
  prefix: string;
  sessions: 'random' | 'scripted';
  /** Stop after this many seconds; undefined = until the signal aborts. */
  durationS?: number;
  password?: string;
  /** Parent directory; each charge point gets dataDir/<identity>. */
  dataDir: string;
  connectorsPerCp: number;
  /** Scripted: length of each session; random: upper bound. Seconds. */
  sessionSeconds: number;
  /** Delay between starting consecutive charge points, so a fleet does not connect in one burst. */
  startSpreadMs: number;
  seed: number;
  maxPowerW: number;
}

export interface SimulationDeps {
  createChargePoint: ChargePointFactory;
  log: Logger;
  /** Called once a second and once at the end. */
  onStats?: (stats: SimulationStats) => void;
  /** External stop (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}


interface Cp {
  identity: string;
  handle: SimulatedChargePointHandle | null;
  reader: SimulatedReaderPlugin;
}

/**
 * Runs N simulated charge points (simulated meter + simulated reader each) in this process, with
 * scripted or random sessions: plug in, tap a card, charge, tap again, unplug. Resolves with the
 * final counters after `durationS` (or the abort signal): open sessions are stopped by tapping the
 * card again, then every charge point stops gracefully.
 */
export async function runSimulation(options: SimulationOptions, deps: SimulationDeps): Promise<SimulationStats> {
  const started = Date.now();
  const stop = new AbortController();
  const onExternalAbort = () => stop.abort();
  deps.signal?.addEventListener('abort', onExternalAbort, { once: true });
  if (deps.signal?.aborted) stop.abort();
  const durationTimer =
    options.durationS === undefined ? undefined : setTimeout(() => stop.abort(), Math.max(0, options.durationS * 1000));

  const counters = { msgsSent: 0, errors: 0, sessionsStarted: 0, sessionsStopped: 0, refused: 0 };
  const width = String(options.count).length;
  const cps: Cp[] = Array.from({ length: options.count }, (_, i) => {
    const identity = `${options.prefix}${String(i + 1).padStart(Math.max(3, width), '0')}`;
    const base = cardBase(identity);
    const cards = Array.from({ length: options.connectorsPerCp }, (_, c) => [`${base}${c + 1}A`, `${base}${c + 1}B`]).flat();
    return { identity, handle: null, reader: simulatedReader({ cards: [...cards, `${base}X`] }) };
  });

  const stats = (): SimulationStats => {
    let connected = 0;
    let booted = 0;
    let activeTx = 0;
    for (const cp of cps) {
      const state = cp.handle?.state;
      if (!state) continue;
      if (state.online) connected++;
      if (state.boot === 'Accepted') booted++;
      for (const c of state.connectors) if (c.transaction) activeTx++;
    }
    return { elapsedS: (Date.now() - started) / 1000, total: cps.length, connected, booted, activeTx, ...counters };
  };
  const ticker = deps.onStats ? setInterval(() => deps.onStats?.(stats()), 1000) : undefined;

  const random = createRandom(options.seed);
  const scripts: Promise<void>[] = [];
  try {
    for (let i = 0; i < cps.length && !stop.signal.aborted; i++) {
      const cp = cps[i]!;
      try {
        const config = loadEdgeConfig(
          {
            identity: cp.identity,
            csmsUrl: options.csmsUrl,
            ...(options.password === undefined ? {} : { password: options.password }),
            dataDir: join(options.dataDir, cp.identity),
            connectors: Array.from({ length: options.connectorsPerCp }, () => ({ maxPowerW: options.maxPowerW, cable: 'manual' as const })),
            boot: { chargePointVendor: 'Charge-IT', chargePointModel: 'Simulator', chargePointSerialNumber: cp.identity },
            // Quick reconnects: a simulator is usually pointed at a server that restarts during demos.
            reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 },
          },
          {}, // never let CHARGE_IT_EDGE_* (meant for one real charge point) rename N simulated ones
        );
        const handle = await deps.createChargePoint(config, { plugins: [cp.reader], log: deps.log });
        // 'message': a CP->CS request was sent; 'error': anything the runtime reports as failed.
        handle.on('message', () => counters.msgsSent++);
        handle.on('error', () => counters.errors++);
        cp.handle = handle;
        await handle.start();
      } catch (err) {
        counters.errors++;
        deps.log.error({ err, cp: cp.identity }, 'simulated charge point failed to start');
        continue;
      }
      for (let c = 1; c <= options.connectorsPerCp; c++) {
        const cpRandom = createRandom(Math.floor(random() * 2 ** 32));
        scripts.push(runSessions(cp, c, i, options, cpRandom, counters, stop.signal, deps.log));
      }
      if (options.startSpreadMs > 0) await sleep(options.startSpreadMs, stop.signal);
    }
    await waitAborted(stop.signal);
    await Promise.all(scripts);
  } finally {
    clearTimeout(durationTimer);
    deps.signal?.removeEventListener('abort', onExternalAbort);
    await Promise.all(
      cps.map(async (cp) => {
        if (!cp.handle) return;
        try {
          await answerWithin(cp.handle.stop({ graceful: true }), 10_000);
        } catch (err) {
          counters.errors++;
          deps.log.error({ err, cp: cp.identity }, 'simulated charge point did not stop cleanly');
        }
      }),
    );
    clearInterval(ticker);
  }
  const final = stats();
  deps.onStats?.(final);
  return final;
}

/** One connector's life: wait for boot, then session after session until stopped. */
async function runSessions(
  cp: Cp,
  connectorId: number,
  index: number,
  options: SimulationOptions,
  random: () => number,
  counters: { errors: number; sessionsStarted: number; sessionsStopped: number; refused: number },
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const handle = cp.handle!;
  // Each connector has its own two drivers' cards, so sessions on different connectors never
  // stop each other; the "X" card belongs to nobody charging here.
  const base = cardBase(cp.identity);
  const own = `${base}${connectorId}A`;
  const second = `${base}${connectorId}B`;
  const stranger = `${base}X`;
  const tap = async (idTag: string) => {
    try {
      const outcome = await answerWithin(cp.reader.tap(idTag, connectorId), 15_000);
      if (outcome.result === 'started') counters.sessionsStarted++;
      else if (outcome.result === 'stopped') counters.sessionsStopped++;
      else if (outcome.result === 'refused') counters.refused++;
      return outcome.result;
    } catch (err) {
      counters.errors++;
      log.warn({ err, cp: cp.identity, connectorId }, 'tap failed');
      return 'failed' as const;
    }
  };
  // Stagger the first session over a few seconds so N charge points do not start together.
  if (!(await sleep(options.sessions === 'scripted' ? (index % 20) * 100 : random() * 5000, signal))) return;
  while (!signal.aborted) {
    while (handle.state.boot !== 'Accepted') {
      if (!(await sleep(200, signal))) return;
    }
    const card = options.sessions === 'random' && random() < 0.5 ? second : own;
    handle.plugIn(connectorId);
    await sleep(300, signal);
    const result = signal.aborted ? 'skipped' : await tap(card);
    if (result === 'started') {
      const chargeS =
        options.sessions === 'scripted' ? options.sessionSeconds : Math.max(1, random() * options.sessionSeconds);
      if (options.sessions === 'random' && random() < 0.2) {
        // Someone else taps their card on a busy charge point: must be refused, session goes on.
        await sleep(random() * chargeS * 500, signal);
        if (!signal.aborted) await tap(stranger);
      }
      await sleep(chargeS * 1000, signal);
      // Stop with the same card, also when the simulation is ending, so the server sees a proper Stop.
      await tap(card);
    }
    await sleep(300, signal);
    handle.unplug(connectorId);
    const idleS = options.sessions === 'scripted' ? 2 : 1 + random() * 9;
    if (!(await sleep(idleS * 1000, signal))) return;
  }
}

/** idTags derive from the identity: letters and digits only, short enough for CiString20 with a suffix. */
function cardBase(identity: string): string {
  return identity.replace(/[^A-Za-z0-9]/g, '').toUpperCase().slice(-16);
}

/** Resolves true after ms, false as soon as the signal aborts. */
async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function waitAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

async function answerWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  const outcome = await withTimeout(p, ms);
  if (outcome === TIMED_OUT) throw new Error(`no answer within ${ms} ms`);
  return outcome;
}
