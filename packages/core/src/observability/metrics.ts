import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { isCsmsError } from '../kernel/errors.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics read from the running CSMS when Prometheus scrapes (no work between scrapes). */
export interface MetricsSources {
  /** Charge points with an open websocket. */
  connectedChargePoints(): number;
  /** Observe-hook calls queued or running (all plugins, all charge points). */
  hookQueueDepth(): number;
  /** Observe/decide hook failures so far (threw or timed out), by hook and kind. */
  hookFailures(): ReadonlyMap<string, number>;
}

/** One committed (or failed) group-commit batch of the write batcher. */
export interface BatchObservation {
  works: number;
  durationMs: number;
  ok: boolean;
  /** Why it failed: a CsmsError thrown by a work is a refusal (e.g. a conflict), not a database error. */
  error?: unknown;
}

/**
 * The CSMS's Prometheus metrics (prom-client), in a registry of its own so two CSMS instances in
 * one process (tests) do not share counters. Components report through the small methods below;
 * values that exist anyway (connections, hook queue depth) are read at scrape time.
 *
 * Label values are bounded: actions and CALLERROR codes are OCPP names, handshake refusals are
 * mapped to a short list of reasons, command results to a short list of outcomes.
 */
export class CsmsMetrics {
  readonly registry = new Registry();
  readonly #handshakesRefused: Counter<'reason' | 'status'>;
  readonly #calls: Counter<'action' | 'outcome'>;
  /**
   * Calls handled since the last scrape, by action and outcome. Counted in plain maps and added to
   * the counter when it is collected: prom-client builds and looks up a label string per `inc`,
   * which is too much for once per message.
   */
  readonly #callsSinceScrape = new Map<string, Map<string, number>>();
  readonly #callErrorsSent: Counter<'code'>;
  readonly #commands: Counter<'action' | 'result'>;
  readonly #batchSize: Histogram;
  readonly #batchLatency: Histogram<'outcome'>;
  readonly #dbErrors: Counter<'operation'>;
  readonly #loopDelay: IntervalHistogram;

  constructor(sources: MetricsSources, options: { prefix?: string; defaultMetrics?: boolean } = {}) {
    const p = options.prefix ?? 'chargeit_';
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });

    new Gauge({
      name: `${p}charge_points_connected`,
      help: 'Charge points with an open OCPP websocket',
      registers,
      collect() {
        this.set(sources.connectedChargePoints());
      },
    });
    this.#handshakesRefused = new Counter({
      name: `${p}ocpp_handshakes_refused_total`,
      help: 'OCPP websocket handshakes refused, by reason and HTTP status',
      labelNames: ['reason', 'status'],
      registers,
    });
    this.#calls = new Counter({
      name: `${p}ocpp_calls_total`,
      help: 'OCPP calls from charge points handled, by action and outcome (ok, or the CALLERROR code we answered)',
      labelNames: ['action', 'outcome'],
      registers,
      collect: () => {
        for (const [action, outcomes] of this.#callsSinceScrape) {
          for (const [outcome, count] of outcomes) this.#calls.inc({ action, outcome }, count);
        }
        this.#callsSinceScrape.clear();
      },
    });
    this.#callErrorsSent = new Counter({
      name: `${p}ocpp_callerrors_sent_total`,
      help: 'CALLERROR frames sent to charge points, by OCPP-J 1.6 error code (schema failures included)',
      labelNames: ['code'],
      registers,
    });
    this.#commands = new Counter({
      name: `${p}commands_total`,
      help: 'Central-system commands (CS→CP calls), by action and result',
      labelNames: ['action', 'result'],
      registers,
    });
    this.#batchSize = new Histogram({
      name: `${p}db_batch_size`,
      help: 'Works per group-commit database transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
    this.#batchLatency = new Histogram({
      name: `${p}db_batch_duration_seconds`,
      help: 'Time to run and commit one group-commit batch',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#dbErrors = new Counter({
      name: `${p}db_errors_total`,
      help: 'Database errors (failed batches, failed writes), by operation',
      labelNames: ['operation'],
      registers,
    });
    new Gauge({
      name: `${p}hook_queue_depth`,
      help: 'Observe-hook calls queued or running for plugins',
      registers,
      collect() {
        this.set(sources.hookQueueDepth());
      },
    });
    const seenFailures = new Map<string, number>();
    new Counter({
      name: `${p}hook_failures_total`,
      help: 'Plugin hook calls that threw or timed out, by hook',
      labelNames: ['hook'],
      registers,
      collect() {
        for (const [hook, total] of sources.hookFailures()) {
          const delta = total - (seenFailures.get(hook) ?? 0);
          if (delta > 0) this.inc({ hook }, delta);
          seenFailures.set(hook, total);
        }
      },
    });
    // Event-loop delay as percentiles over the last scrape interval (the default metrics also give
    // nodejs_eventloop_lag_*; this one is reset at every scrape, so it shows the recent past).
    this.#loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.#loopDelay.enable();
    const loop = this.#loopDelay;
    new Gauge({
      name: `${p}event_loop_delay_seconds`,
      help: 'Event-loop delay since the previous scrape, by quantile',
      labelNames: ['quantile'],
      registers,
      collect() {
        const q = (n: number) => (loop.count > 0 ? loop.percentile(n) / 1e9 : 0);
        this.set({ quantile: '0.5' }, q(50));
        this.set({ quantile: '0.99' }, q(99));
        this.set({ quantile: '1' }, loop.count > 0 ? loop.max / 1e9 : 0);
        loop.reset();
      },
    });
  }

  handshakeRefused(status: number, reason: string): void {
    this.#handshakesRefused.inc({ reason: handshakeReason(status, reason), status: String(status) });
  }

  callHandled(action: string, outcome: string): void {
    let outcomes = this.#callsSinceScrape.get(action);
    if (!outcomes) this.#callsSinceScrape.set(action, (outcomes = new Map<string, number>()));
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }

  callErrorSent(code: string): void {
    this.#callErrorsSent.inc({ code });
  }

  commandDone(action: string, result: string): void {
    this.#commands.inc({ action, result });
  }

  batchCommitted({ works, durationMs, ok, error }: BatchObservation): void {
    this.#batchSize.observe(works);
    this.#batchLatency.observe({ outcome: ok ? 'ok' : 'error' }, durationMs / 1000);
    if (!ok && !isCsmsError(error)) this.#dbErrors.inc({ operation: 'batch' });
  }

  databaseError(operation: string): void {
    this.#dbErrors.inc({ operation });
  }

  /** The Prometheus text exposition (format 0.0.4). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.#loopDelay.disable();
    this.registry.clear();
  }
}

/** Bounded reason labels for refused handshakes (the log line keeps the full reason). */
export function handshakeReason(status: number, reason: string): string {
  const r = reason.toLowerCase();
  if (r.includes('unknown charge point')) return 'unknown-charge-point';
  if (r.includes('password') || r.includes('credentials') || r.includes('username') || r.includes('auth key')) return 'bad-credentials';
  if (r.includes('charge point id')) return 'bad-charge-point-id';
  if (r.includes('security profile') || r.includes('tls')) return 'security-profile';
  if (r.includes('too-many-pending')) return 'too-many-pending-handshakes';
  if (r.includes('too-many-connections')) return 'too-many-connections';
  if (r.includes('handshakes in progress on the server')) return 'server-busy';
  if (r.includes('timed out')) return 'timeout';
  if (r.includes('closing')) return 'closing';
  if (r.includes('lookup failed') || r.includes('unusable')) return 'lookup-failed';
  if (r.includes('client closed')) return 'client-gone';
  if (r.includes('protocol')) return 'subprotocol';
  if (status === 404) return 'bad-path';
  if (status === 429) return 'rate-limited';
  return 'bad-request';
}
