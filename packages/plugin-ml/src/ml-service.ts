import type { EntityManager } from '@mikro-orm/core';
import { CsmsError, CsmsErrorCode, type Logger } from '@charge-it/core';
import { MlModelSchema, MlTrainingRunSchema } from './entities.js';
import { adviseLoad, sessionCaps, type LoadAdvice, type RunningSession } from './models/load-advice.js';
import type { AvailabilityResult } from './models/availability.js';
import type { ForecastResult } from './models/forecast.js';
import type { MeterAnomalyResult, MeterStream } from './models/meter-anomalies.js';
import type { SegmentsResult } from './models/segments.js';
import { scoreSession, type SessionAnomaly, type SessionAnomalyResult } from './models/session-anomalies.js';
import { predictSession, type SessionPrediction, type SessionRegressionResult, type SessionStart } from './models/session-regression.js';
import { packTrainingData } from './training/pack.js';
import { runTrainingInWorker, type RunningTraining } from './training/run-training.js';
import type { TrainingData, TrainingOutcomes } from './training/train-all.js';
import { DAY_MS, assertTimeZone, floorHour } from './time.js';
import { MODEL_NAMES, type ChargerInfo, type ModelMetric, type ModelName, type ModelOutcome, type NotEnoughData, type SessionRecord, type Trained, type TrainingInfo } from './types.js';

/** What the plugin reads from the core's query module (`services.get('queries')`). */
export interface MlQueries {
  sessionsForAnalysis(q: { from?: Date; to?: Date; limit?: number }): Promise<
    { id: number; chargePointId: string; connectorId: number; idTag: string; startedAt: string; stoppedAt: string; energyWh: number; maxPowerW: number | null; avgPowerW: number | null; idleS: number | null; flags: readonly string[] }[]
  >;
  chargePoints(): Promise<{ id: string; maxPowerKw: number | string | null; connectors: readonly { connectorId: number }[] }[]>;
  meterSeries(transactionId: number, q?: { measurands?: string[] }): Promise<{ measurand: string; phase: string | null; unit: string; points: [number, number][] }[]>;
}

/** What the plugin reads from the live state (`services.get('live')`): the running sessions. */
export interface MlLive {
  snapshot(): { chargePoints: readonly { id: string; connectors: readonly { chargePointId: string; connectorId: number; session: { transactionId: number; idTag: string; startedAt: string; energyWh: number; powerW: number | null } | null }[] }[] };
}

export interface MlServiceOptions {
  /** The site's IANA time zone: hours of the day and weekdays are local to it. Default 'UTC'. */
  timeZone: string;
  seed: number;
  /** Forecast horizon, 24..48 h. */
  horizonHours: number;
  /** How far back training reads sessions. */
  historyDays: number;
  /** At most this many sessions (newest first; the query module allows up to 100,000). */
  maxSessions: number;
  /** Meter streams of this many recent recorded sessions are checked (0 = off). */
  meterStreams: number;
  /** Also forecast each charge point. */
  perChargePoint: boolean;
}

export interface NotTrained {
  status: 'not-trained';
  model: ModelName;
  message: string;
}

/** Every answer of the service: the result with its metric and training facts, or why there is none. */
export type MlAnswer<T> = (Omit<Trained<T>, 'result'> & { result: T }) | NotEnoughData | NotTrained;

export interface ModelStatus {
  status: 'ok' | 'not-enough-data' | 'not-trained';
  trainedAt: string | null;
  metric: ModelMetric | null;
  message: string | null;
  training: TrainingInfo | null;
}

export interface MlStatus {
  state: 'idle' | 'training';
  progress: { model: string; done: number; total: number } | null;
  lastRun: { trigger: string; startedAt: string; finishedAt: string | null; status: 'running' | 'ok' | 'failed'; message: string | null; sessions: number } | null;
  nextRunAt: string | null;
  models: Record<string, ModelStatus>;
}

export interface MlServiceDeps {
  queries: MlQueries;
  live: MlLive;
  log: Logger;
  em: () => EntityManager;
  now: () => Date;
}

type PublicSessionAnomalies = Omit<SessionAnomalyResult, 'model'>;
type PublicRegression = Omit<SessionRegressionResult, 'model'>;

const MEASURANDS = ['Energy.Active.Import.Register', 'Power.Active.Import'];
// A week of sessions per query: on SQLite (a synchronous driver) a query blocks the event loop while it
// runs, and 10,000 sessions take a few hundred ms (bench/query-volume.mjs); a week is a few thousand.
const WINDOW_MS = 7 * DAY_MS;

/**
 * The ML plugin's service (`services.get('ml')`): trains the models in a worker thread (on start, on
 * a schedule, on demand), keeps and persists the latest outcomes, and answers from them. Every answer
 * carries the model's metric against its naive baseline, or says why there is no answer.
 */
export class MlService {
  readonly #deps: MlServiceDeps;
  readonly options: Readonly<MlServiceOptions>;
  #outcomes: Partial<Record<string, ModelOutcome<unknown>>> = {};
  #running: { training: RunningTraining | null; promise: Promise<MlStatus> } | null = null;
  #next: Promise<MlStatus> | null = null;
  #progress: MlStatus['progress'] = null;
  #lastRun: MlStatus['lastRun'] = null;
  #nextRunAt: Date | null = null;
  #closed = false;

  constructor(deps: MlServiceDeps, options: MlServiceOptions) {
    assertTimeZone(options.timeZone);
    this.#deps = deps;
    this.options = Object.freeze({ ...options });
  }

  /** Reloads the persisted models (at start). */
  async load(): Promise<number> {
    const rows = await this.#deps.em().find(MlModelSchema, {});
    for (const row of rows) this.#outcomes[row.name] = row.outcome as ModelOutcome<unknown>;
    const [last] = await this.#deps.em().find(MlTrainingRunSchema, { id: { $gt: 0 } }, { orderBy: { id: 'desc' }, limit: 1 });
    if (last) {
      this.#lastRun = {
        trigger: last.trigger,
        startedAt: last.startedAt.toISOString(),
        finishedAt: last.finishedAt?.toISOString() ?? null,
        status: last.status === 'running' ? 'failed' : (last.status as 'ok' | 'failed'),
        message: last.status === 'running' ? 'interrupted by a restart' : (last.message ?? null),
        sessions: last.sessions,
      };
    }
    return rows.length;
  }

  setNextRun(at: Date | null): void {
    this.#nextRunAt = at;
  }

  status(): MlStatus {
    const models: Record<string, ModelStatus> = {};
    const names = [...MODEL_NAMES, ...Object.keys(this.#outcomes).filter((n) => n.startsWith('forecast:')).sort()];
    for (const name of names) {
      const o = this.#outcomes[name];
      if (!o) models[name] = { status: 'not-trained', trainedAt: null, metric: null, message: 'not trained yet', training: null };
      else if (o.status === 'ok') models[name] = { status: 'ok', trainedAt: o.training.trainedAt, metric: o.metric, message: null, training: o.training };
      else models[name] = { status: 'not-enough-data', trainedAt: null, metric: null, message: o.message, training: null };
    }
    return { state: this.#running ? 'training' : 'idle', progress: this.#progress, lastRun: this.#lastRun, nextRunAt: this.#nextRunAt?.toISOString() ?? null, models };
  }

  /**
   * Trains every model on the data as it is now. A call while a run is in progress gets a new run
   * that starts when that one ends (so data written meanwhile, e.g. an import, is included); calls
   * during the same run share that next run.
   */
  train(trigger = 'on-demand'): Promise<MlStatus> {
    if (this.#closed) return Promise.reject(new CsmsError(CsmsErrorCode.INTERNAL, 'the ML service is closed'));
    if (this.#running) {
      this.#next ??= this.#running.promise
        .catch(() => {})
        .then(() => {
          this.#next = null;
          return this.train(trigger);
        });
      return this.#next;
    }
    const running: { training: RunningTraining | null; promise: Promise<MlStatus> } = { training: null, promise: Promise.resolve(this.status()) };
    const done = () => {
      this.#running = null;
      this.#progress = null;
    };
    running.promise = this.#train(trigger, running).then(
      () => {
        done();
        return this.status();
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
    this.#running = running;
    return running.promise;
  }

  async #train(trigger: string, running: { training: RunningTraining | null }): Promise<void> {
    const { log } = this.#deps;
    const startedAt = this.#deps.now();
    const runRow = this.#deps.em();
    const run = runRow.create(MlTrainingRunSchema, { trigger, startedAt, status: 'running', sessions: 0, finishedAt: null, message: null });
    await runRow.flush();
    this.#lastRun = { trigger, startedAt: startedAt.toISOString(), finishedAt: null, status: 'running', message: null, sessions: 0 };
    log.info({ trigger }, 'ml: training started');
    try {
      const data = await this.collect();
      this.#lastRun.sessions = data.sessions.length;
      this.#progress = { model: 'data', done: 0, total: 1 };
      log.info({ sessions: data.sessions.length, meterStreams: data.meterStreams.length }, 'ml: training data read');
      const packed = await packTrainingData(data);
      const training = runTrainingInWorker(packed, (step) => {
        this.#progress = step;
        log.info({ model: step.model, done: step.done, total: step.total }, `ml: trained ${step.model} (${step.done}/${step.total})`);
      });
      running.training = training;
      const outcomes = await training.promise;
      await this.#store(outcomes);
      const finishedAt = this.#deps.now();
      const summary = this.#summary(outcomes);
      await this.#finishRun(run.id, 'ok', summary, data.sessions.length);
      this.#lastRun = { ...this.#lastRun, finishedAt: finishedAt.toISOString(), status: 'ok', message: summary };
      log.info({ durationMs: finishedAt.getTime() - startedAt.getTime(), summary }, 'ml: training finished');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!this.#closed) {
        log.error({ err }, 'ml: training failed');
        await this.#finishRun(run.id, 'failed', message, this.#lastRun?.sessions ?? 0).catch(() => {});
      }
      this.#lastRun = { ...this.#lastRun!, finishedAt: this.#deps.now().toISOString(), status: 'failed', message };
      throw err;
    }
  }

  async #finishRun(id: number, status: 'ok' | 'failed', message: string, sessions: number): Promise<void> {
    const em = this.#deps.em();
    const row = await em.findOne(MlTrainingRunSchema, { id });
    if (!row) return;
    row.status = status;
    row.message = message;
    row.sessions = sessions;
    row.finishedAt = this.#deps.now();
    await em.flush();
  }

  #summary(o: TrainingOutcomes): string {
    return MODEL_NAMES.map((n) => {
      const x = o[n];
      return x.status === 'ok' ? `${n}: ${x.metric.name} ${x.metric.value ?? '-'}` : `${n}: ${x.message}`;
    }).join('; ');
  }

  /** Reads the training data from the core's services (main thread; the worker gets plain data). */
  async collect(): Promise<TrainingData> {
    const { queries } = this.#deps;
    const nowMs = this.#deps.now().getTime();
    const to = floorHour(nowMs);
    const from = to - this.options.historyDays * DAY_MS;
    // Read in 7-day windows, newest first: each query (and its row mapping) is a bounded piece of
    // main-thread work, and the event loop runs between them.
    const rows: Awaited<ReturnType<MlQueries['sessionsForAnalysis']>> = [];
    for (let end = to; end > from && rows.length < this.options.maxSessions; end -= WINDOW_MS) {
      const start = Math.max(from, end - WINDOW_MS);
      rows.push(...(await queries.sessionsForAnalysis({ from: new Date(start), to: new Date(end), limit: this.options.maxSessions - rows.length })));
    }
    const sessions: SessionRecord[] = rows
      .map((r) => ({
        id: r.id,
        chargePointId: r.chargePointId,
        connectorId: r.connectorId,
        idTag: r.idTag,
        startedAt: Date.parse(r.startedAt),
        stoppedAt: Math.min(Date.parse(r.stoppedAt), to),
        energyWh: r.energyWh,
        maxPowerW: r.maxPowerW,
        avgPowerW: r.avgPowerW,
        idleS: r.idleS,
        flags: [...r.flags],
      }))
      .sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
    const chargers: ChargerInfo[] = (await queries.chargePoints()).map((cp) => ({
      id: cp.id,
      maxPowerKw: cp.maxPowerKw === null || cp.maxPowerKw === undefined ? null : Number(cp.maxPowerKw),
      connectorIds: cp.connectors.map((c) => c.connectorId).filter((c) => c > 0),
    }));
    const meterStreams: MeterStream[] = [];
    const recorded = sessions.filter((s) => !s.flags.includes('imported') && !s.flags.includes('synthetic')).slice(-this.options.meterStreams);
    for (const s of this.options.meterStreams > 0 ? recorded : []) {
      const series = await queries.meterSeries(s.id, { measurands: MEASURANDS });
      const energy = series.find((x) => x.measurand === MEASURANDS[0] && x.phase === null) ?? series.find((x) => x.measurand === MEASURANDS[0]);
      const power = series.filter((x) => x.measurand === MEASURANDS[1] && x.phase === null).flatMap((x) => x.points);
      if (energy && energy.points.length > 1) meterStreams.push({ transactionId: s.id, chargePointId: s.chargePointId, connectorId: s.connectorId, energy: energy.points, power });
    }
    // Running sessions, so the last hours' load and occupancy are complete (started before `to`).
    const running: SessionRecord[] = this.runningSessions()
      .filter((r) => r.startedAt < to)
      .map((r) => {
        const elapsed = Math.max(1, nowMs - r.startedAt);
        // Energy so far, pro rata up to `to` (the series ends at the last full hour).
        const energyWh = (r.energyWh * Math.max(0, to - r.startedAt)) / elapsed;
        return { id: -r.transactionId, chargePointId: r.chargePointId, connectorId: r.connectorId, idTag: r.idTag, startedAt: r.startedAt, stoppedAt: to, energyWh, maxPowerW: null, avgPowerW: null, idleS: null, flags: ['running'] };
      });
    return { sessions, running, chargers, meterStreams, from, to, timeZone: this.options.timeZone, seed: this.options.seed, horizonHours: this.options.horizonHours, perChargePoint: this.options.perChargePoint };
  }

  async #store(outcomes: TrainingOutcomes): Promise<void> {
    const entries: [string, ModelOutcome<unknown>][] = [
      ['forecast', outcomes.forecast],
      ['availability', outcomes.availability],
      ['sessionAnomalies', outcomes.sessionAnomalies],
      ['meterAnomalies', outcomes.meterAnomalies],
      ['segments', outcomes.segments],
      ['regression', outcomes.regression],
      ...Object.entries(outcomes.forecastByChargePoint).map(([id, o]) => [`forecast:${id}`, o] as [string, ModelOutcome<unknown>]),
    ];
    const em = this.#deps.em();
    // Per charge point forecasts of charge points that are gone are dropped.
    const stale = Object.keys(this.#outcomes).filter((n) => n.startsWith('forecast:') && !(n.slice(9) in outcomes.forecastByChargePoint));
    if (stale.length) await em.nativeDelete(MlModelSchema, { name: { $in: stale } });
    for (const n of stale) delete this.#outcomes[n];
    for (const [name, outcome] of entries) {
      await em.upsert(MlModelSchema, {
        name,
        status: outcome.status,
        outcome: outcome as unknown,
        trainedAt: outcome.status === 'ok' ? new Date(outcome.training.trainedAt) : this.#deps.now(),
        durationMs: outcome.status === 'ok' ? outcome.training.durationMs : 0,
        syntheticShare: outcome.status === 'ok' ? outcome.training.syntheticShare : 0,
      });
      this.#outcomes[name] = outcome;
    }
  }

  #answer<T>(name: string, model: ModelName): ModelOutcome<T> | NotTrained {
    const o = this.#outcomes[name] as ModelOutcome<T> | undefined;
    if (!o) return { status: 'not-trained', model, message: `the ${model} model has not been trained yet (training runs at start, on its schedule, or with POST /api/v1/ml/train)` };
    return o;
  }

  /** Site (or one charge point's) power forecast per hour from now, with 95 % intervals. */
  forecast(q: { chargePointId?: string; hours?: number } = {}): MlAnswer<ForecastResult & { stale: boolean }> {
    const name = q.chargePointId ? `forecast:${q.chargePointId}` : 'forecast';
    if (q.chargePointId && !this.#outcomes[name] && this.#outcomes.forecast) {
      throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no forecast for charge point "${q.chargePointId}": it had no sessions at the last training`);
    }
    const o = this.#answer<ForecastResult>(name, 'forecast');
    if (o.status !== 'ok') return o;
    const nowHour = floorHour(this.#deps.now().getTime());
    const hours = Math.min(o.result.horizonHours, Math.max(1, q.hours ?? o.result.horizonHours));
    const ahead = o.result.points.filter((p) => Date.parse(p.at) >= nowHour);
    const points = (ahead.length ? ahead : o.result.points).slice(0, hours);
    return { ...o, result: { ...o.result, points, stale: ahead.length === 0 } };
  }

  availability(q: { chargePointId?: string; connectorId?: number } = {}): MlAnswer<AvailabilityResult> {
    const o = this.#answer<AvailabilityResult>('availability', 'availability');
    if (o.status !== 'ok') return o;
    const connectors = o.result.connectors.filter((c) => (q.chargePointId === undefined || c.chargePointId === q.chargePointId) && (q.connectorId === undefined || c.connectorId === q.connectorId));
    if ((q.chargePointId !== undefined || q.connectorId !== undefined) && connectors.length === 0) {
      throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no availability for ${q.chargePointId ?? '*'}/${q.connectorId ?? '*'}: no sessions on it at the last training`);
    }
    return { ...o, result: { ...o.result, connectors } };
  }

  sessionAnomalies(q: { limit?: number } = {}): MlAnswer<PublicSessionAnomalies> {
    const o = this.#answer<SessionAnomalyResult>('sessionAnomalies', 'sessionAnomalies');
    if (o.status !== 'ok') return o;
    const { model: _model, ...result } = o.result;
    return { ...o, result: { ...result, anomalies: result.anomalies.slice(0, q.limit ?? 20) } };
  }

  meterAnomalies(q: { limit?: number } = {}): MlAnswer<MeterAnomalyResult> {
    const o = this.#answer<MeterAnomalyResult>('meterAnomalies', 'meterAnomalies');
    if (o.status !== 'ok') return o;
    return { ...o, result: { ...o.result, anomalies: o.result.anomalies.slice(0, q.limit ?? 20) } };
  }

  /** Scores one completed session against the trained anomaly model (e.g. right after it stopped). */
  scoreSession(session: SessionRecord): MlAnswer<Pick<SessionAnomaly, 'score' | 'explanation' | 'reasons'>> {
    const o = this.#answer<SessionAnomalyResult>('sessionAnomalies', 'sessionAnomalies');
    if (o.status !== 'ok') return o;
    const { score, explanation, reasons } = scoreSession(o.result.model, session);
    return { ...o, result: { score, explanation, reasons } };
  }

  segments(): MlAnswer<SegmentsResult> {
    return this.#answer<SegmentsResult>('segments', 'segments');
  }

  regression(): MlAnswer<PublicRegression> {
    const o = this.#answer<SessionRegressionResult>('regression', 'regression');
    if (o.status !== 'ok') return o;
    const { model: _model, ...result } = o.result;
    return { ...o, result };
  }

  /** Expected energy and duration of a session from what is known at its start. */
  predictSession(start: { idTag: string; chargePointId: string; startedAt?: Date }): MlAnswer<SessionPrediction> {
    const o = this.#answer<SessionRegressionResult>('regression', 'regression');
    if (o.status !== 'ok') return o;
    const s: SessionStart = { idTag: start.idTag, chargePointId: start.chargePointId, startedAt: (start.startedAt ?? this.#deps.now()).getTime() };
    return { ...o, result: predictSession(o.result.model, s) };
  }

  /** The running sessions from the live state, as the advisor needs them. */
  runningSessions(): RunningSession[] {
    const out: RunningSession[] = [];
    for (const cp of this.#deps.live.snapshot().chargePoints) {
      for (const c of cp.connectors) {
        if (c.session) out.push({ transactionId: c.session.transactionId, chargePointId: c.chargePointId, connectorId: c.connectorId, idTag: c.session.idTag, startedAt: Date.parse(c.session.startedAt), energyWh: c.session.energyWh, powerW: c.session.powerW });
      }
    }
    return out;
  }

  /**
   * Load-optimisation advice for the sessions running now: which can be throttled without missing
   * their expected energy before their expected departure. The regression's metric travels with it.
   */
  advice(running: readonly RunningSession[] = this.runningSessions()): MlAnswer<LoadAdvice> {
    const o = this.#answer<SessionRegressionResult>('regression', 'regression');
    if (o.status !== 'ok') return o;
    return { ...o, result: adviseLoad(o.result.model, running, this.#deps.now().getTime()) };
  }

  /**
   * Advised limits in kW per transactionId for the core's load management
   * (`loadManagement.setSessionAdvisor`): what each running session needs to get its expected
   * energy before its expected departure. Empty until the regression is trained.
   */
  loadManagementCaps(sessions: readonly { transactionId: number; chargePointId: string; connectorId: number; idTag: string; startedAt: Date }[]): Map<number, number> {
    const o = this.#outcomes.regression as ModelOutcome<SessionRegressionResult> | undefined;
    if (!o || o.status !== 'ok') return new Map();
    const energy = new Map(this.runningSessions().map((r) => [r.transactionId, r.energyWh]));
    const capsW = sessionCaps(
      o.result.model,
      sessions.map((s) => ({ transactionId: s.transactionId, chargePointId: s.chargePointId, connectorId: s.connectorId, idTag: s.idTag, startedAt: s.startedAt.getTime(), energyWh: energy.get(s.transactionId) ?? 0 })),
      this.#deps.now().getTime(),
    );
    return new Map([...capsW].map(([id, w]) => [id, w / 1000]));
  }

  /** Stops a running training (its worker) and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = this.#running;
    if (running?.training) await running.training.terminate();
    await running?.promise.catch(() => {});
    await this.#next?.catch(() => {});
  }
}

