import { setTimeout as delay } from 'node:timers/promises';
import type { Csms } from '@charge-it/core';
import { createChargePoint, runSimulation, type Logger, type SimulationStats } from '@charge-it/edge-runtime';
import { seedSyntheticHistory } from '@charge-it/plugin-ml';
import { SPKLU_DEMO_CARD_UID } from '../app.js';
import { startPn532ChargePoint, type Pn532ChargePoint } from './pn532-charge-point.js';

export interface DemoOptions {
  /** Central system URL without the identity, e.g. `ws://127.0.0.1:9000/ocpp`. */
  csmsUrl: string;
  /** State of the demo charge points (kept across restarts, like a real charger's flash). */
  dataDir: string;
  /** Simulated charge points with random sessions (identities DEMO-SIM-001, …). */
  chargePoints: number;
  /** The charge point with the emulated PN532 reader (DEMO-PI-01) on which the demo card is tapped. */
  pn532: boolean;
  /** Days of synthetic history for AI Insights, seeded once (0 = none). */
  historyDays: number;
  caFile?: string;
}

export interface RunningDemo {
  /** Resolves when the synthetic history is in the database and the first training has run (or failed, logged). */
  readonly historyReady: Promise<void>;
  stop(): Promise<void>;
}

/** Identity of the demo charge point with the emulated PN532 reader. */
export const DEMO_PN532_IDENTITY = 'DEMO-PI-01';

/**
 * The demo: a few charge points from the edge runtime in this process doing realistic sessions
 * against the app itself (random session lengths and pauses, now and then a stranger's card), one
 * of them with an emulated PN532 reader on which the demo card is tapped to start and again to stop;
 * and, once, a synthetic history (flagged `synthetic` everywhere) so AI Insights has data at once.
 */
export function startDemo(csms: Csms, options: DemoOptions): RunningDemo {
  const log = csms.log.child({ component: 'demo' }) as unknown as Logger;
  // The demo charge points' own chatter (connected, command answered, …) only from warnings up.
  const edgeLog = (csms.log as unknown as { child(b: object, o: object): Logger }).child({ component: 'demo-edge' }, { level: 'warn' });
  const abort = new AbortController();
  const tasks: Promise<unknown>[] = [];

  const historyReady = seedHistoryOnce(csms, options.historyDays, log);

  if (options.chargePoints > 0) {
    tasks.push(
      runSimulation(
        {
          csmsUrl: options.csmsUrl,
          count: options.chargePoints,
          prefix: 'DEMO-SIM-',
          sessions: 'random',
          dataDir: options.dataDir,
          connectorsPerCp: 2,
          sessionSeconds: 240,
          startSpreadMs: 200,
          seed: Date.now() % 100_000,
          maxPowerW: 11_000,
        },
        {
          createChargePoint: (config, deps) =>
            createChargePoint({ ...config, ocppConfig: { MeterValueSampleInterval: 10 }, ...(options.caFile ? { caFile: options.caFile } : {}) }, deps),
          log: edgeLog,
          signal: abort.signal,
          onStats: (stats: SimulationStats) => {
            if (abort.signal.aborted) log.info({ ...stats }, 'demo charge points stopped');
          },
        },
      ).catch((err: unknown) => log.error({ err }, 'demo charge points failed')),
    );
  }

  let pn532: Pn532ChargePoint | null = null;
  if (options.pn532) {
    tasks.push(
      (async () => {
        try {
          pn532 = await startPn532ChargePoint({
            csmsUrl: options.csmsUrl,
            identity: DEMO_PN532_IDENTITY,
            dataDir: options.dataDir,
            log: edgeLog,
            ...(options.caFile ? { caFile: options.caFile } : {}),
            onCard: (e) => log.info({ uid: e.uid, outcome: e.outcome.result }, `demo card ${e.uid} tapped on ${DEMO_PN532_IDENTITY}: ${e.outcome.result}`),
          });
          await tapLoop(pn532, abort.signal);
        } catch (err) {
          if (!abort.signal.aborted) log.error({ err }, 'demo PN532 charge point failed');
        }
      })(),
    );
  }

  return {
    historyReady,
    async stop() {
      abort.abort();
      await Promise.allSettled(tasks);
      await (pn532 as Pn532ChargePoint | null)?.stop().catch(() => undefined);
      await historyReady.catch(() => undefined);
    },
  };
}

/** Tap the demo card, charge 1–3 minutes, tap again to stop, rest 20–40 s; until aborted. */
async function tapLoop(cp: Pn532ChargePoint, signal: AbortSignal): Promise<void> {
  const sleep = (ms: number) => delay(ms, undefined, { signal }).then(() => true, () => false);
  while (!signal.aborted) {
    while (cp.handle.state.boot !== 'Accepted') if (!(await sleep(500))) return;
    if (!(await sleep(5_000 + Math.random() * 5_000))) return;
    await cp.tap(SPKLU_DEMO_CARD_UID); // starts (or stops a session left from before a restart)
    const charging = cp.handle.state.connectors.some((c) => c.transaction);
    if (charging) {
      if (!(await sleep(60_000 + Math.random() * 120_000))) {
        await cp.tap(SPKLU_DEMO_CARD_UID).catch(() => undefined);
        return;
      }
      await cp.tap(SPKLU_DEMO_CARD_UID);
    }
    if (!(await sleep(20_000 + Math.random() * 20_000))) return;
  }
}

/**
 * Seeds the synthetic history the first time only (a database with synthetic sessions is left
 * alone, so restarts do not pile up shifted copies), then trains the ML models on it.
 */
async function seedHistoryOnce(csms: Csms, days: number, log: Logger): Promise<void> {
  if (days <= 0) return;
  try {
    const existing = await csms.services.get('queries').transactions({ flag: 'synthetic', limit: 1 });
    if (existing.total === 0) {
      log.info(`demo: writing ${days} days of synthetic charging history (flagged "synthetic") for AI Insights …`);
      const result = await seedSyntheticHistory(csms, { days, seed: 7, timeZone: 'Asia/Jakarta' });
      log.info({ created: result.created }, `demo: ${result.created} synthetic sessions written`);
    }
    if (csms.services.has('ml')) await csms.services.get('ml').train('demo');
  } catch (err) {
    log.error({ err }, 'demo: synthetic history could not be written');
  }
}
