import type { Clock } from '../../clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { ChargePointStatus, MeterValue, RegistrationStatus, StatusNotificationRequest } from '../../ocpp/v16/messages.js';
import type { TariffSettings } from '../settings/settings-service.js';
import { computeCost, type TimeSource } from '../tariffs/compute-cost.js';
import { InProcessLiveBus, type LiveBus } from './live-bus.js';
import { LiveSubscription } from './live-subscription.js';
import type {
  LiveChargePoint,
  LiveConnector,
  LiveEvent,
  LiveFilter,
  LiveListener,
  LiveSession,
  LiveSessionSummary,
  LiveSite,
  LiveSnapshot,
  LiveStateService,
} from './live-types.js';
import { readMeterValues } from './meter-reading.js';
import { KeyedTimers } from '../../kernel/keyed-timers.js';

export interface LiveStateOptions {
  /** A burst of meter values gives at most one event per connector (and for the site) per this many ms. */
  coalesceMs: number;
  /** How long a finished session stays as a connector's `lastSession` (minutes). */
  lastSessionMinutes: number;
}

export interface LiveStateDeps {
  clock: Clock;
  log: Logger;
  /** Where events go (default: an in-process bus). */
  bus?: LiveBus;
  options: LiveStateOptions;
}

/** A transaction as it starts (from StartTransaction, or an open transaction read at start-up). */
export interface LiveTransactionStart {
  transactionId: number;
  connectorId: number;
  idTag: string;
  meterStartWh: number;
  /** The charger's start time. */
  startedAt: Date;
  /** When the server received the StartTransaction. */
  startReceivedAt: Date;
  /** The tariff the session is billed at (the snapshot taken at start); null = no cost shown. */
  tariff: TariffSettings | null;
  /** 'server' when the charger's clock is not trusted for this session (as the final cost does). */
  timeSource: TimeSource;
}

export interface LiveTransactionStop {
  transactionId: number;
  connectorId: number;
  idTag: string;
  startedAt: Date;
  stoppedAt: Date;
  /** When the server received the stop (starts the `lastSession` retention). */
  stopReceivedAt: Date;
  energyWh: number;
  costIdr: number | null;
  stopReason: string | null;
}

/** What the database says at start-up (see `readLiveState`). */
export interface LiveRestoreData {
  siteMaxGridPowerKw: number | null;
  chargePoints: {
    id: string;
    registrationStatus: RegistrationStatus | null;
    vendor: string | null;
    model: string | null;
    firmwareVersion: string | null;
    lastSeenAt: Date | null;
  }[];
  connectors: {
    chargePointId: string;
    connectorId: number;
    status: string | null;
    errorCode: string | null;
    info: string | null;
    vendorErrorCode: string | null;
    since: Date | null;
  }[];
  openSessions: (LiveTransactionStart & {
    chargePointId: string;
    register: { valueWh: number; at: number } | null;
    powerW: number | null;
    currentA: number | null;
    socPercent: number | null;
    updatedAt: Date;
    idleSince: Date | null;
  })[];
  lastSessions: (LiveTransactionStop & { chargePointId: string })[];
}

interface SessionState extends LiveTransactionStart {
  register: { valueWh: number; at: number } | null;
  powerW: number | null;
  currentA: number | null;
  socPercent: number | null;
  updatedAt: Date;
  /** Start of the current run of SuspendedEV/Finishing (idle fees), null while charging. */
  idleSince: Date | null;
}

interface ConnectorState {
  connectorId: number;
  status: ChargePointStatus | null;
  errorCode: string | null;
  info: string | null;
  vendorErrorCode: string | null;
  since: Date | null;
  session: SessionState | null;
  lastSession: LiveSessionSummary | null;
  /** Clock time (ms) after which `lastSession` is no longer shown. */
  lastSessionUntil: number;
  /** The key of its events and their builder, made once: a MeterValues flood emits per message. */
  eventKey: string;
  buildEvent: () => LiveEvent | undefined;
}

interface ChargePointState {
  id: string;
  connected: boolean;
  connectedSince: Date | null;
  lastSeenAt: Date | null;
  registrationStatus: RegistrationStatus | null;
  vendor: string | null;
  model: string | null;
  firmwareVersion: string | null;
  connectors: Map<number, ConnectorState>;
}

const IDLE_STATUSES = new Set(['SuspendedEV', 'Finishing']);

/**
 * The live state of the site, in memory: fed by the handled OCPP messages after their commit
 * (`connected`, `booted`, `statusChanged`, `transactionStarted`, `meterValues`, ...; see
 * live-hooks.ts), loaded from the database at start (`load`), and read with `snapshot()` or
 * followed with `subscribe()`. Nothing here does I/O, so feeding it costs the OCPP path a few
 * map updates. Meter-driven events are coalesced per connector (`options.coalesceMs`); status,
 * start, stop, connect and boot events go out at once.
 */
export class LiveState implements LiveStateService {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #bus: LiveBus;
  readonly #options: LiveStateOptions;
  readonly #chargePoints = new Map<string, ChargePointState>();
  readonly #subscriptions = new Set<LiveSubscription>();
  readonly #timers = new KeyedTimers<string>();
  readonly #lastEmit = new Map<string, number>();
  #gridLimitW: number | null = null;
  #closed = false;

  constructor(deps: LiveStateDeps) {
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#bus = deps.bus ?? new InProcessLiveBus();
    this.#options = deps.options;
  }

  // ---- reading -------------------------------------------------------------------------------

  snapshot(): LiveSnapshot {
    const now = this.#clock.now();
    const chargePoints = [...this.#chargePoints.values()].sort((a, b) => cmp(a.id, b.id)).map((cp) => this.#chargePointView(cp, now));
    return Object.freeze({ at: now.toISOString(), site: this.#siteView(), chargePoints: Object.freeze(chargePoints) });
  }

  chargePoint(id: string): LiveChargePoint | undefined {
    const cp = this.#chargePoints.get(id);
    return cp ? this.#chargePointView(cp, this.#clock.now()) : undefined;
  }

  connector(chargePointId: string, connectorId: number): LiveConnector | undefined {
    const c = this.#chargePoints.get(chargePointId)?.connectors.get(connectorId);
    return c ? this.#connectorView(chargePointId, c, this.#clock.now()) : undefined;
  }

  site(): LiveSite {
    return this.#siteView();
  }

  subscribe(listener: LiveListener, filter: LiveFilter = {}): () => void {
    if (typeof listener !== 'function') throw new TypeError('live.subscribe(listener): listener must be a function');
    const subscription = new LiveSubscription(listener, { ...filter }, this.#log);
    const off = this.#bus.subscribe((event) => subscription.offer(event));
    this.#subscriptions.add(subscription);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
      subscription.close();
      this.#subscriptions.delete(subscription);
    };
  }

  /** Subscriptions open right now (tests, metrics). */
  get subscriberCount(): number {
    return this.#subscriptions.size;
  }

  /** Coalesced events waiting for their interval (tests, metrics). */
  get pendingEvents(): number {
    return this.#timers.size;
  }

  /** Stops the coalescing timers and ends every subscription. */
  close(): void {
    this.#closed = true;
    this.#timers.clear();
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions.clear();
  }

  // ---- feeding -------------------------------------------------------------------------------

  /** Replaces the state with what the database holds (at start, before charge points connect). */
  load(data: LiveRestoreData): void {
    this.#chargePoints.clear();
    this.#gridLimitW = kwToW(data.siteMaxGridPowerKw);
    for (const row of data.chargePoints) {
      const cp = this.#cp(row.id);
      Object.assign(cp, {
        registrationStatus: row.registrationStatus,
        vendor: row.vendor,
        model: row.model,
        firmwareVersion: row.firmwareVersion,
        lastSeenAt: row.lastSeenAt,
      });
    }
    for (const row of data.connectors) {
      const c = this.#connectorState(row.chargePointId, row.connectorId);
      Object.assign(c, {
        status: row.status as ChargePointStatus | null,
        errorCode: row.errorCode,
        info: row.info,
        vendorErrorCode: row.vendorErrorCode,
        since: row.since,
      });
    }
    for (const row of data.lastSessions) this.#setLastSession(row.chargePointId, row);
    for (const row of data.openSessions) {
      const { chargePointId, ...session } = row;
      this.#connectorState(chargePointId, row.connectorId).session = { ...session };
    }
  }

  connected(chargePointId: string, at: Date, registrationStatus: RegistrationStatus | null | undefined): void {
    const cp = this.#cp(chargePointId);
    cp.connected = true;
    cp.connectedSince = at;
    cp.lastSeenAt = later(cp.lastSeenAt, at);
    // A charger that reconnects without a Boot keeps the stored outcome of its last Boot.
    if (registrationStatus !== undefined && registrationStatus !== null) cp.registrationStatus = registrationStatus;
    this.#emitChargePoint(cp);
    this.#emitSite(true);
  }

  disconnected(chargePointId: string, at: Date): void {
    const cp = this.#chargePoints.get(chargePointId);
    if (!cp) return;
    cp.connected = false;
    cp.connectedSince = null;
    cp.lastSeenAt = later(cp.lastSeenAt, at);
    this.#emitChargePoint(cp);
    this.#emitSite(true);
  }

  /** The charge point was deleted (REST `DELETE /charge-points/{id}`): it leaves the state and the site totals. */
  forget(chargePointId: string): void {
    if (!this.#chargePoints.delete(chargePointId)) return;
    this.#emitSite(true);
  }

  /** Any message received (no event: `lastSeenAt` is read with the state). */
  seen(chargePointId: string, at: Date): void {
    const cp = this.#chargePoints.get(chargePointId);
    if (cp) cp.lastSeenAt = later(cp.lastSeenAt, at);
  }

  booted(
    chargePointId: string,
    info: { vendor: string | null; model: string | null; firmwareVersion: string | null },
    status: RegistrationStatus,
    at: Date,
  ): void {
    const cp = this.#cp(chargePointId);
    Object.assign(cp, { vendor: info.vendor, model: info.model, firmwareVersion: info.firmwareVersion, registrationStatus: status });
    cp.lastSeenAt = later(cp.lastSeenAt, at);
    this.#emitChargePoint(cp);
  }

  statusChanged(chargePointId: string, request: StatusNotificationRequest, receivedAt: Date): void {
    const c = this.#connectorState(chargePointId, request.connectorId);
    const timestamp = parseDate(request.timestamp);
    const changed = c.status !== request.status;
    c.status = request.status;
    c.errorCode = request.errorCode ?? null;
    c.info = request.info ?? null;
    c.vendorErrorCode = request.vendorErrorCode ?? null;
    if (changed || c.since === null) c.since = timestamp ?? receivedAt;
    const s = c.session;
    if (s) {
      if (IDLE_STATUSES.has(request.status)) s.idleSince ??= s.timeSource === 'server' ? receivedAt : (timestamp ?? receivedAt);
      else s.idleSince = null;
    }
    this.#seenAt(chargePointId, receivedAt);
    this.#emitConnector(c, true);
  }

  transactionStarted(chargePointId: string, tx: LiveTransactionStart): void {
    const c = this.#connectorState(chargePointId, tx.connectorId);
    c.session = { ...tx, register: null, powerW: null, currentA: null, socPercent: null, updatedAt: tx.startReceivedAt, idleSince: null };
    c.lastSession = null;
    this.#seenAt(chargePointId, tx.startReceivedAt);
    this.#emitConnector(c, true);
    this.#emitSite(true);
  }

  /** MeterValues of a transaction (`transactionId` null: not part of a known transaction, ignored). */
  meterValues(chargePointId: string, transactionId: number | null, meterValues: readonly MeterValue[], receivedAt: Date): void {
    this.#seenAt(chargePointId, receivedAt);
    if (transactionId === null) return;
    const found = this.#findSession(chargePointId, transactionId);
    if (!found) return;
    const { connector, session } = found;
    const reading = readMeterValues(meterValues, receivedAt);
    if (reading.register && (!session.register || reading.register.at >= session.register.at)) session.register = reading.register;
    if (reading.powerW !== undefined) session.powerW = reading.powerW;
    if (reading.currentA !== undefined) session.currentA = reading.currentA;
    if (reading.socPercent !== undefined) session.socPercent = reading.socPercent;
    session.updatedAt = receivedAt;
    this.#emitConnector(connector, false);
    if (reading.powerW !== undefined) this.#emitSite(false);
  }

  transactionStopped(chargePointId: string, stop: LiveTransactionStop): void {
    const found = this.#findSession(chargePointId, stop.transactionId);
    const c = found?.connector ?? this.#connectorState(chargePointId, stop.connectorId);
    if (found) c.session = null;
    this.#setLastSession(chargePointId, stop);
    this.#seenAt(chargePointId, stop.stopReceivedAt);
    this.#emitConnector(c, true);
    this.#emitSite(true);
  }

  /** The site limit changed (settings `site.maxGridPowerKw`). */
  siteLimitChanged(maxGridPowerKw: number | null): void {
    const next = kwToW(maxGridPowerKw);
    if (next === this.#gridLimitW) return;
    this.#gridLimitW = next;
    this.#emitSite(true);
  }

  // ---- internals -----------------------------------------------------------------------------

  #cp(id: string): ChargePointState {
    let cp = this.#chargePoints.get(id);
    if (!cp) {
      cp = {
        id,
        connected: false,
        connectedSince: null,
        lastSeenAt: null,
        registrationStatus: null,
        vendor: null,
        model: null,
        firmwareVersion: null,
        connectors: new Map(),
      };
      this.#chargePoints.set(id, cp);
    }
    return cp;
  }

  #connectorState(chargePointId: string, connectorId: number): ConnectorState {
    const cp = this.#cp(chargePointId);
    let c = cp.connectors.get(connectorId);
    if (!c) {
      const buildEvent = (): LiveEvent | undefined => {
        const now = this.#clock.now();
        const current = this.#chargePoints.get(chargePointId)?.connectors.get(connectorId);
        return current ? { type: 'connector', at: now.toISOString(), connector: this.#connectorView(chargePointId, current, now) } : undefined;
      };
      c = {
        connectorId, status: null, errorCode: null, info: null, vendorErrorCode: null, since: null, session: null, lastSession: null, lastSessionUntil: 0,
        eventKey: `c\u0000${chargePointId}\u0000${connectorId}`, buildEvent,
      };
      cp.connectors.set(connectorId, c);
    }
    return c;
  }

  #seenAt(chargePointId: string, at: Date): void {
    const cp = this.#chargePoints.get(chargePointId);
    if (cp) cp.lastSeenAt = later(cp.lastSeenAt, at);
  }

  #findSession(chargePointId: string, transactionId: number): { connector: ConnectorState; session: SessionState } | undefined {
    const cp = this.#chargePoints.get(chargePointId);
    if (!cp) return undefined;
    for (const connector of cp.connectors.values()) {
      if (connector.session?.transactionId === transactionId) return { connector, session: connector.session };
    }
    return undefined;
  }

  #setLastSession(chargePointId: string, stop: LiveTransactionStop): void {
    const c = this.#connectorState(chargePointId, stop.connectorId);
    c.lastSession = Object.freeze({
      transactionId: stop.transactionId,
      idTag: stop.idTag,
      startedAt: stop.startedAt.toISOString(),
      stoppedAt: stop.stoppedAt.toISOString(),
      energyWh: stop.energyWh,
      costIdr: stop.costIdr,
      stopReason: stop.stopReason,
    });
    c.lastSessionUntil = stop.stopReceivedAt.getTime() + this.#options.lastSessionMinutes * 60_000;
  }

  #chargePointView(cp: ChargePointState, now: Date): LiveChargePoint {
    const connectors = [...cp.connectors.values()].sort((a, b) => a.connectorId - b.connectorId).map((c) => this.#connectorView(cp.id, c, now));
    return Object.freeze({
      id: cp.id,
      connected: cp.connected,
      connectedSince: iso(cp.connectedSince),
      lastSeenAt: iso(cp.lastSeenAt),
      registrationStatus: cp.registrationStatus,
      vendor: cp.vendor,
      model: cp.model,
      firmwareVersion: cp.firmwareVersion,
      connectors: Object.freeze(connectors),
    });
  }

  #connectorView(chargePointId: string, c: ConnectorState, now: Date): LiveConnector {
    return Object.freeze({
      chargePointId,
      connectorId: c.connectorId,
      status: c.status,
      errorCode: c.errorCode,
      info: c.info,
      vendorErrorCode: c.vendorErrorCode,
      since: iso(c.since),
      session: c.session ? this.#sessionView(c.session, now) : null,
      lastSession: c.lastSession && now.getTime() <= c.lastSessionUntil ? c.lastSession : null,
    });
  }

  #sessionView(s: SessionState, now: Date): LiveSession {
    const energyWh = s.register ? Math.max(0, s.register.valueWh - s.meterStartWh) : 0;
    return Object.freeze({
      transactionId: s.transactionId,
      idTag: s.idTag,
      startedAt: s.startedAt.toISOString(),
      meterStartWh: s.meterStartWh,
      energyWh,
      powerW: s.powerW,
      currentA: s.currentA,
      socPercent: s.socPercent,
      costIdr: this.#costSoFar(s, energyWh, now),
      updatedAt: s.updatedAt.toISOString(),
    });
  }

  /** As the tariff service prices a running transaction, from memory (no database read). */
  #costSoFar(s: SessionState, energyWh: number, now: Date): number | null {
    if (!s.tariff) return null;
    try {
      return computeCost({
        tariff: s.tariff,
        energyWh,
        startedAt: s.timeSource === 'server' ? s.startReceivedAt : s.startedAt,
        endedAt: now,
        chargingEndedAt: s.idleSince,
        timeSource: s.timeSource,
      }).total;
    } catch (err) {
      this.#log.warn({ err, transactionId: s.transactionId }, 'live cost not computed');
      return null;
    }
  }

  #siteView(): LiveSite {
    let powerW = 0;
    let sessionsRunning = 0;
    let online = 0;
    for (const cp of this.#chargePoints.values()) {
      if (cp.connected) online++;
      for (const c of cp.connectors.values()) {
        if (!c.session) continue;
        sessionsRunning++;
        powerW += c.session.powerW ?? 0;
      }
    }
    return Object.freeze({
      powerW,
      gridLimitW: this.#gridLimitW,
      sessionsRunning,
      chargePointsOnline: online,
      chargePointsTotal: this.#chargePoints.size,
    });
  }

  #emitChargePoint(cp: ChargePointState): void {
    this.#emit(`cp\u0000${cp.id}`, true, () => {
      const now = this.#clock.now();
      return { type: 'chargePoint', at: now.toISOString(), chargePoint: this.#chargePointView(cp, now) };
    });
  }

  #emitConnector(c: ConnectorState, immediate: boolean): void {
    this.#emit(c.eventKey, immediate, c.buildEvent);
  }

  #emitSite(immediate: boolean): void {
    // The site view is a pass over every charge point. In a reconnect storm (20,000 chargers
    // connecting within seconds) one per connect would cost O(n²): an "immediate" site event is
    // published at once when none went out in the last SITE_BURST_MS, else once at the end of that
    // window, built from the state then.
    const build = () => ({ type: 'site', at: this.#clock.now().toISOString(), site: this.#siteView() }) as const;
    if (!immediate) {
      this.#emit('site', false, build);
      return;
    }
    const last = this.#lastEmit.get('site');
    if (last === undefined || performance.now() - last >= SITE_BURST_MS) {
      this.#emit('site', true, build);
      return;
    }
    // Within a burst: a pending meter-driven (slower) site event is brought forward to the burst window.
    this.#timers.delete('site');
    this.#emit('site', false, build, SITE_BURST_MS);
  }

  /**
   * Publishes the event of `key` now (immediate, or when the key's interval has passed), else once
   * at the end of the interval, built then from the latest state.
   */
  #emit(key: string, immediate: boolean, build: () => LiveEvent | undefined, intervalMs = this.#options.coalesceMs): void {
    if (this.#closed) return;
    if (immediate) {
      this.#timers.delete(key);
      this.#publish(key, build);
      return;
    }
    if (this.#timers.has(key)) return;
    const last = this.#lastEmit.get(key);
    const wait = last === undefined ? 0 : last + intervalMs - performance.now();
    if (wait <= 0) {
      this.#publish(key, build);
      return;
    }
    this.#timers.set(key, Math.ceil(wait), () => this.#publish(key, build));
  }

  #publish(key: string, build: () => LiveEvent | undefined): void {
    this.#lastEmit.set(key, performance.now());
    // Nobody listening: build nothing. A subscriber that comes later starts from a snapshot.
    if (this.#bus.hasSubscribers?.() === false) return;
    try {
      const event = build();
      if (event) this.#bus.publish(event);
    } catch (err) {
      this.#log.error({ err, key }, 'live event not published');
    }
  }
}

/** At most one "immediate" site event per this many milliseconds (see #emitSite). */
const SITE_BURST_MS = 100;

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function later(a: Date | null, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}

function parseDate(value: string | undefined): Date | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

function kwToW(kw: number | null | undefined): number | null {
  return typeof kw === 'number' && Number.isFinite(kw) ? Math.round(kw * 1000) : null;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
