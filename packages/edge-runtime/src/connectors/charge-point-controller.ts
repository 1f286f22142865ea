import type { EventEmitter } from 'node:events';
import type { HookRunner, Logger } from '@charge-it/core/kernel';
import type { Authorizer } from '../auth/authorizer.js';
import type { CableKind } from '../cable/cable-config.js';
import type { ConfigurationStore } from '../config-keys/configuration-store.js';
import type { MeterDriver } from '../meter/meter-driver.js';
import type { BootStateMachine } from '../ocpp/boot-state-machine.js';
import type { Clock } from '../ocpp/clock.js';
import { isValidStatus, type ChargePointErrorCode, type ChargingProfile, type IdTagInfo, type StartTransactionRequest, type StatusNotificationRequest, type StopReason } from '../ocpp/ocpp-types.js';
import type { Outbox, OutboxEntry } from '../ocpp/outbox.js';
import type { CardOutcome, CardPresentation } from '../plugins/card-presentation.js';
import type { EdgeHooks } from '../plugins/edge-hooks.js';
import type { ConnectorView, EdgeChargePointView, PluginHealth, PluginHealthReport } from '../plugins/edge-plugin.js';
import type { ChargingProfileStore } from '../smart-charging/charging-profile-store.js';
import { JsonFileStore } from '../storage/json-file-store.js';
import type { ChargePointEvents } from './charge-point-events.js';
import { Connector, type PersistedConnector, type Reservation } from './connector.js';
import { MeterSampling } from './meter-sampling.js';
import { Reservations } from './reservations.js';
import { TransactionLifecycle } from './transaction-lifecycle.js';

export interface ChargePointControllerDeps {
  identity: string;
  connectors: Array<{ maxPowerW: number; meter: MeterDriver; cable?: CableKind }>;
  config: ConfigurationStore;
  session: BootStateMachine;
  outbox: Outbox;
  authorizer: Authorizer;
  profiles: ChargingProfileStore;
  hooks: HookRunner<EdgeHooks>;
  clock: Clock;
  log: Logger;
  file: string;
  voltageV: number;
  online(): boolean;
  /** The charge point's events (the handle's emitter): status, transactionStarted/Stopped, sample, health. */
  events: EventEmitter<ChargePointEvents>;
}

/**
 * The charge point's behaviour: connectors and their status, card and cable events, remote
 * commands, availability, and the smart-charging limit applied to each meter. It composes the
 * transaction lifecycle (transaction-lifecycle.ts), meter sampling (meter-sampling.ts) and
 * reservations (reservations.ts), and keeps the connectors' state file.
 * Emits 'status', 'transactionStarted', 'transactionStopped', 'sample' and 'health' on `deps.events`.
 */
export class ChargePointController {
  readonly #d: ChargePointControllerDeps;
  readonly connectors: Connector[];
  readonly #meters: MeterDriver[];
  readonly #sampling: MeterSampling;
  readonly #tx: TransactionLifecycle;
  readonly #reservations: Reservations;
  readonly #file: JsonFileStore<Record<string, PersistedConnector>>;
  #limitTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Plugin health by plugin name (reportHealth). */
  readonly #health = new Map<string, PluginHealth>();

  constructor(deps: ChargePointControllerDeps) {
    this.#d = deps;
    const maxTotal = deps.connectors.reduce((s, c) => s + c.maxPowerW, 0);
    this.connectors = [new Connector(0, maxTotal, 'manual'), ...deps.connectors.map((c, i) => new Connector(i + 1, c.maxPowerW, c.cable ?? 'always'))];
    this.#meters = deps.connectors.map((c) => c.meter);
    this.#file = new JsonFileStore(deps.file, () => ({}));
    // The parts, each with what it needs from the charge point.
    const host = {
      outlets: () => this.outlets,
      connector: (id: number) => this.connector(id),
      refreshStatus: (c: Connector) => this.refreshStatus(c),
      applyLimits: () => this.applyLimits(),
      save: () => this.#save(),
    };
    const { identity, config, session, outbox, authorizer, profiles, hooks, clock, log, voltageV, events } = deps;
    this.#sampling = new MeterSampling({
      ...host,
      identity,
      meters: this.#meters,
      config,
      session,
      outbox,
      hooks,
      clock,
      log,
      voltageV,
      events,
      closed: () => this.#closed,
      transactionIdOf: (tx) => this.#tx.transactionIdOf(tx),
    });
    this.#tx = new TransactionLifecycle({ ...host, identity, config, outbox, authorizer, profiles, hooks, clock, log, events, sampling: this.#sampling });
    this.#reservations = new Reservations({ ...host, config, clock, log });
    const saved = this.#file.read();
    for (const c of this.connectors) {
      const s = saved[String(c.id)];
      if (!s) continue;
      c.availability = s.availability;
      c.scheduledInoperative = !!s.scheduledInoperative;
      c.transaction = s.transaction;
      c.reservation = s.reservation;
    }
    deps.config.onChange((key) => {
      if (key === 'MeterValueSampleInterval') for (const c of this.connectors) this.#sampling.scheduleSampling(c);
      if (key === 'ClockAlignedDataInterval') this.#sampling.scheduleAligned();
    });
  }

  connector(id: number): Connector | undefined {
    return this.connectors[id];
  }

  get outlets(): Connector[] {
    return this.connectors.slice(1);
  }

  /**
   * Opens the meters and recovers from the previous run: a transaction that was running when
   * the process died is stopped with reason PowerLoss (meterStop from the register now), unless
   * its StopTransaction is already in the outbox journal.
   */
  async start(recovery: { openStarts: Map<string, StartTransactionRequest>; stopped: Set<string> }): Promise<void> {
    for (const [i, m] of this.#meters.entries()) {
      try {
        await m.open();
      } catch (err) {
        this.#d.log.error({ connectorId: i + 1, err: String((err as Error)?.message ?? err) }, 'meter did not open; the connector is Faulted (PowerMeterFailure)');
        const c = this.connectors[i + 1];
        if (c) c.errorCode = 'PowerMeterFailure';
      }
    }
    const handled = new Set<string>();
    for (const c of this.outlets) {
      if (c.transaction) handled.add(c.transaction.txLocal);
      if (c.transaction && recovery.stopped.has(c.transaction.txLocal)) c.transaction = undefined;
      if (c.transaction) {
        this.#d.log.warn({ connectorId: c.id, txLocal: c.transaction.txLocal }, 'transaction from before a crash or power loss: stopping it (PowerLoss)');
        await this.#tx.stop(c, 'PowerLoss');
      }
      if (c.reservation) this.#reservations.arm(c);
    }
    // A StartTransaction journaled just before a crash, whose transaction never reached the state file.
    for (const [txLocal, start] of recovery.openStarts) {
      if (recovery.stopped.has(txLocal) || handled.has(txLocal)) continue;
      await this.#tx.stopOrphanStart(txLocal, start);
    }
    this.#save();
    this.applyLimits();
    this.#sampling.scheduleAligned();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sampling.close();
    clearTimeout(this.#limitTimer);
    for (const c of this.connectors) {
      clearInterval(c.samplingTimer);
      clearTimeout(c.reservationTimer);
      clearTimeout(c.pendingStart?.timer);
    }
    for (const m of this.#meters) await m.close().catch(() => {});
  }

  view(): EdgeChargePointView {
    const d = this.#d;
    const connectors = this.connectors.map((c): ConnectorView => ({
      connectorId: c.id,
      status: c.status(),
      errorCode: c.errorCode,
      plugged: c.plugged,
      cable: c.cable,
      limitW: c.limitW,
      ...(c.transaction
        ? {
            transaction: {
              txLocal: c.transaction.txLocal,
              ...(c.transaction.transactionId !== undefined ? { transactionId: c.transaction.transactionId } : {}),
              idTag: c.transaction.idTag,
              startedAt: c.transaction.startedAt,
              meterStartWh: c.transaction.meterStartWh,
            },
          }
        : {}),
      ...(c.reservation ? { reservation: { reservationId: c.reservation.reservationId, idTag: c.reservation.idTag, expiryDate: c.reservation.expiryDate } } : {}),
    }));
    return { identity: d.identity, boot: d.session.state, online: d.online(), connectors, queuedMessages: d.outbox.size, health: Object.fromEntries(this.#health) };
  }

  // ---------------------------------------------------------------- status

  /** Sends StatusNotification when a connector's status differs from the last one reported. */
  refreshStatus(c: Connector, force = false): void {
    const status = c.status();
    if (!force && status === c.reportedStatus) return;
    const previous = c.reportedStatus;
    if (!this.#d.session.canSend()) {
      if (status !== previous) this.#d.events.emit('status', c.id, status);
      // Not queued (S16 §3.7): the current status is sent on reconnect.
      c.reportedStatus = undefined;
      return;
    }
    c.reportedStatus = status;
    if (status !== previous) this.#d.events.emit('status', c.id, status);
    this.#sendStatus(c, status, false);
  }

  #sendStatus(c: Connector, status = c.status(), triggered = false): void {
    const payload: StatusNotificationRequest = { connectorId: c.id, status, errorCode: c.errorCode, timestamp: this.#d.clock.iso() };
    const failing = c.id === 0 && c.errorCode === 'NoError' ? [...this.#health.values()].find((h) => !h.ok) : undefined;
    if (failing) {
      payload.errorCode = failing.errorCode ?? 'OtherError';
      if (failing.info) payload.info = failing.info;
      if (failing.vendorErrorCode) payload.vendorErrorCode = failing.vendorErrorCode;
    }
    // The first status of connector 0 after a boot says why the charge point (re)booted.
    const rebootInfo = c.id === 0 && !failing ? this.#d.session.takeRebootInfo() : undefined;
    if (rebootInfo) payload.info = rebootInfo;
    this.#d.session.send('StatusNotification', { ...payload }, { triggered }).catch((err: unknown) => {
      if (rebootInfo) this.#d.session.restoreRebootInfo(rebootInfo);
      c.reportedStatus = undefined;
      this.#d.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'StatusNotification not sent');
    });
  }

  /**
   * A plugin's hardware health. A change between ok and failing (or of what is failing) is sent
   * at once as connector 0's StatusNotification (see PluginHealthReport); repeats are not.
   */
  setPluginHealth(plugin: string, report: PluginHealthReport): void {
    const previous = this.#health.get(plugin);
    const next: PluginHealth = {
      ok: report.ok,
      since: previous && previous.ok === report.ok ? previous.since : this.#d.clock.iso(),
      ...(report.ok ? {} : { errorCode: report.errorCode ?? 'OtherError' }),
      ...(report.info ? { info: report.info.slice(0, 50) } : {}),
      ...(report.vendorErrorCode ? { vendorErrorCode: report.vendorErrorCode.slice(0, 50) } : {}),
      ...(report.details ? { details: { ...report.details } } : {}),
    };
    this.#health.set(plugin, next);
    const changed = !previous || previous.ok !== next.ok || (!next.ok && (previous.info !== next.info || previous.vendorErrorCode !== next.vendorErrorCode || previous.errorCode !== next.errorCode));
    if (!changed) return;
    this.#d.events.emit('health', plugin, next);
    if (!previous && next.ok) return; // first report, all well: nothing new for the central system
    const zero = this.connectors[0];
    if (zero) this.refreshStatus(zero, true);
  }

  /** After Boot Accepted or a reconnect: the current status of connector 0 and every connector. */
  sendAllStatuses(): void {
    for (const c of this.connectors) this.refreshStatus(c, true);
  }

  /** TriggerMessage(StatusNotification). */
  triggerStatus(connectorId?: number): void {
    const targets = connectorId === undefined ? this.connectors : [this.connector(connectorId)].filter((c): c is Connector => !!c);
    for (const c of targets) this.#sendStatus(c, c.status(), true);
  }

  #refreshAll(): void {
    for (const c of this.connectors) this.refreshStatus(c);
  }

  setFault(connectorId: number, errorCode: ChargePointErrorCode | null): void {
    const c = this.connector(connectorId);
    if (!c) return;
    c.errorCode = errorCode ?? 'NoError';
    this.applyLimits();
  }

  // ---------------------------------------------------------------- cable and card

  plugIn(connectorId: number): void {
    const c = this.connector(connectorId);
    if (!c || c.id === 0 || c.plugged) return;
    c.plugged = true;
    c.finishing = false;
    const pending = c.pendingStart;
    if (pending && !c.transaction) {
      clearTimeout(pending.timer);
      c.pendingStart = undefined;
      void this.#tx.start(c, pending.idTag, pending.info, pending.reservationId);
      return;
    }
    this.applyLimits();
  }

  unplug(connectorId: number): void {
    const c = this.connector(connectorId);
    if (!c || c.id === 0 || !c.plugged) return;
    c.plugged = false;
    c.finishing = false;
    if (c.transaction && this.#d.config.bool('StopTransactionOnEVSideDisconnect')) {
      void this.#tx.stop(c, 'EVDisconnected');
      return;
    }
    this.applyLimits();
  }

  /** The EV paused or resumed drawing power (SuspendedEV). */
  setEvSuspended(connectorId: number, suspended: boolean): void {
    const c = this.connector(connectorId);
    if (!c || c.id === 0) return;
    c.evSuspended = suspended;
    this.applyLimits();
  }

  /**
   * Power-threshold cable detection: the EV draws power (true) or not. Without a transaction this
   * is the cable (plug in / unplug); during one, a car that stops drawing is SuspendedEV (it cannot
   * be told from an unplugged car, so the session goes on until a card or the CS stops it).
   */
  evDrawing(connectorId: number, drawing: boolean): void {
    const c = this.connector(connectorId);
    if (!c || c.id === 0) return;
    c.evDrawing = drawing;
    if (c.transaction) {
      if (drawing && !c.plugged) c.plugged = true;
      this.setEvSuspended(connectorId, !drawing);
    } else if (drawing) this.plugIn(connectorId);
    else this.unplug(connectorId);
  }

  /** One line per connector (`status` bench command). */
  describe(): string {
    return this.outlets
      .map((c) => `${c.id} ${c.status()} cable=${c.cable} ${c.plugged ? 'plugged' : 'unplugged'}${c.transaction ? ` tx=${c.transaction.transactionId ?? c.transaction.txLocal} ${c.transaction.idTag}` : ''}`)
      .join('; ');
  }

  /** Tap to start, the same card (or one of the same group) to stop, another card refused. */
  async presentCard(card: CardPresentation): Promise<CardOutcome> {
    const { idTag } = card;
    this.#d.hooks.observe('onCardPresented', { card }, this.#d.identity);
    if (!idTag || idTag.length > 20) return { result: 'refused', reason: 'idTag must be 1–20 characters' };
    const candidates = card.connectorId !== undefined ? [this.connector(card.connectorId)].filter((c): c is Connector => !!c && c.id > 0) : this.outlets;
    if (candidates.length === 0) return { result: 'refused', reason: `no connector ${card.connectorId}` };

    // Stop: the card that started it, or one with the same parentIdTag (S16 §3.10).
    for (const c of candidates) {
      const tx = c.transaction;
      if (!tx) continue;
      if (tx.idTag === idTag || (tx.parentIdTag && (await this.#parentOf(idTag)) === tx.parentIdTag)) {
        await this.#tx.stop(c, 'Local', idTag);
        return { result: 'stopped', connectorId: c.id };
      }
    }
    // A second tap on a connector waiting for the cable cancels the authorisation.
    for (const c of candidates) {
      if (c.pendingStart?.idTag === idTag) {
        this.#cancelPending(c);
        return { result: 'ignored', connectorId: c.id, reason: 'authorisation withdrawn' };
      }
    }
    if (!this.#d.session.everAccepted) return { result: 'refused', reason: 'this charge point was never accepted by a central system' };
    if (this.#d.session.state === 'Pending' || this.#d.session.state === 'Rejected') {
      // Never accepted in this boot: charging is not allowed until Accepted (S16 §4.2.1).
      return { result: 'refused', reason: `boot state ${this.#d.session.state}` };
    }

    const target = await this.#pickConnector(candidates, idTag);
    if (!target) return { result: 'refused', reason: 'no free connector' };
    const auth = await this.#d.authorizer.authorize(idTag);
    if (!isValidStatus(auth.info, this.#d.clock.now())) {
      return { result: 'refused', connectorId: target.id, reason: `idTag ${auth.info.status} (${auth.source})` };
    }
    if (target.reservation && !this.#matchesReservation(target.reservation, idTag, auth.info.parentIdTag)) {
      return { result: 'refused', connectorId: target.id, reason: 'connector reserved for another idTag' };
    }
    const reservationId = target.reservation?.reservationId;
    if (target.evReady) {
      const ok = await this.#tx.start(target, idTag, auth.info, reservationId);
      return ok ? { result: 'started', connectorId: target.id } : { result: 'refused', connectorId: target.id, reason: 'could not read the meter' };
    }
    this.#setPending(target, idTag, auth.info, reservationId);
    return { result: 'started', connectorId: target.id, reason: 'authorised; waiting for the cable' };
  }

  async #parentOf(idTag: string): Promise<string | undefined> {
    const known = this.#d.authorizer.known(idTag);
    if (known) return known.parentIdTag;
    const auth = await this.#d.authorizer.authorize(idTag);
    return isValidStatus(auth.info, this.#d.clock.now()) ? auth.info.parentIdTag : undefined;
  }

  #matchesReservation(r: Reservation, idTag: string, parentIdTag: string | undefined): boolean {
    return r.idTag === idTag || (!!r.parentIdTag && r.parentIdTag === parentIdTag);
  }

  async #pickConnector(candidates: Connector[], idTag: string): Promise<Connector | undefined> {
    const free = candidates.filter((c) => c.free && !c.pendingStart);
    return (
      free.find((c) => c.reservation?.idTag === idTag) ??
      free.find((c) => c.plugged && !c.reservation) ??
      free.find((c) => !c.reservation) ??
      free.find((c) => !!c.reservation)
    );
  }

  #setPending(c: Connector, idTag: string, info: IdTagInfo, reservationId?: number): void {
    this.#cancelPending(c);
    const timeoutS = Math.max(1, this.#d.config.int('ConnectionTimeOut'));
    const timer = setTimeout(() => {
      if (c.pendingStart?.idTag !== idTag) return;
      this.#d.log.info({ connectorId: c.id }, 'no cable within ConnectionTimeOut; authorisation dropped');
      c.pendingStart = undefined;
      this.refreshStatus(c);
    }, timeoutS * 1000);
    c.pendingStart = { idTag, info, ...(reservationId !== undefined ? { reservationId } : {}), timer };
    this.refreshStatus(c);
  }

  #cancelPending(c: Connector): void {
    if (!c.pendingStart) return;
    clearTimeout(c.pendingStart.timer);
    c.pendingStart = undefined;
    this.refreshStatus(c);
  }

  // ---------------------------------------------------------------- remote commands

  remoteStart(req: { idTag: string; connectorId?: number; chargingProfile?: ChargingProfile }, auth?: IdTagInfo): 'Accepted' | 'Rejected' {
    if (req.chargingProfile && req.chargingProfile.chargingProfilePurpose !== 'TxProfile') return 'Rejected';
    let c: Connector | undefined;
    if (req.connectorId !== undefined) {
      c = this.connector(req.connectorId);
      if (!c || c.id === 0 || !c.free || c.pendingStart) return 'Rejected';
    } else {
      c = this.outlets.find((x) => x.free && !x.pendingStart && (!x.reservation || x.reservation.idTag === req.idTag));
      if (!c) return 'Rejected';
    }
    if (c.reservation && c.reservation.idTag !== req.idTag && c.reservation.parentIdTag !== auth?.parentIdTag) return 'Rejected';
    const info = auth ?? { status: 'Accepted' as const };
    const reservationId = c.reservation?.reservationId;
    if (req.chargingProfile) this.#tx.setPendingProfile(c.id, req.chargingProfile);
    if (c.evReady) void this.#tx.start(c, req.idTag, info, reservationId);
    else this.#setPending(c, req.idTag, info, reservationId);
    return 'Accepted';
  }

  remoteStop(transactionId: number): 'Accepted' | 'Rejected' {
    const c = this.outlets.find((x) => x.transaction && this.#tx.transactionIdOf(x.transaction) === transactionId);
    if (!c) return 'Rejected';
    void this.#tx.stop(c, 'Remote');
    return 'Accepted';
  }

  /** Stops the transaction on a connector (Unlock, Reset, …). Resolves when the Stop is journaled. */
  async stopTransaction(connectorId: number, reason: StopReason): Promise<boolean> {
    const c = this.connector(connectorId);
    if (!c?.transaction) return false;
    await this.#tx.stop(c, reason);
    return true;
  }

  async stopAll(reason: StopReason): Promise<void> {
    for (const c of this.outlets) if (c.transaction) await this.#tx.stop(c, reason);
  }

  changeAvailability(connectorId: number, type: 'Inoperative' | 'Operative'): 'Accepted' | 'Rejected' | 'Scheduled' {
    const targets = connectorId === 0 ? this.connectors : [this.connector(connectorId)].filter((c): c is Connector => !!c);
    if (targets.length === 0) return 'Rejected';
    let scheduled = false;
    for (const c of targets) {
      if (type === 'Inoperative' && c.transaction) {
        c.scheduledInoperative = true;
        scheduled = true;
      } else {
        c.availability = type;
        c.scheduledInoperative = false;
        if (type === 'Inoperative') this.#cancelPending(c);
      }
    }
    this.#save();
    this.#refreshAll();
    return scheduled ? 'Scheduled' : 'Accepted';
  }

  // ---------------------------------------------------------------- the parts (transactions, sampling, reservations)

  /** Called by the outbox after each acknowledged transaction message. */
  onDelivered(entry: OutboxEntry, conf: unknown, transactionId: number | undefined): void {
    this.#tx.onDelivered(entry, conf, transactionId);
  }

  /** TriggerMessage(MeterValues): a Trigger sample now, sent directly (not transaction-queued). */
  triggerMeterValues(connectorId?: number): Promise<void> {
    return this.#sampling.triggerMeterValues(connectorId);
  }

  reserve(req: Parameters<Reservations['reserve']>[0]): ReturnType<Reservations['reserve']> {
    return this.#reservations.reserve(req);
  }

  cancelReservation(reservationId: number): 'Accepted' | 'Rejected' {
    return this.#reservations.cancel(reservationId);
  }

  // ---------------------------------------------------------------- smart charging

  /** Recomputes each connector's limit from the charging profiles and drives the meters. */
  applyLimits(): void {
    if (this.#closed) return;
    const now = this.#d.clock.now();
    const contexts = this.outlets.map((c) => ({
      connectorId: c.id,
      maxPowerW: c.maxPowerW,
      ...(c.transaction ? { transaction: { startMs: c.transaction.startMs, ...(this.#tx.transactionIdOf(c.transaction) !== undefined ? { transactionId: this.#tx.transactionIdOf(c.transaction) as number } : {}) } } : {}),
    }));
    const limits = this.#d.profiles.effectiveLimitsW(contexts, now);
    for (const c of this.outlets) {
      c.limitW = limits.get(c.id) ?? c.maxPowerW;
      this.#meters[c.id - 1]?.setDemand?.({ charging: c.delivering, limitW: c.transaction?.deauthorized ? 0 : c.limitW });
    }
    const cpLimit = this.#d.profiles.chargePointLimitW(now);
    const zero = this.connectors[0];
    if (zero) zero.limitW = cpLimit ?? zero.maxPowerW;
    this.#refreshAll();
    clearTimeout(this.#limitTimer);
    const next = this.#d.profiles.nextChangeMs(now, 86_400_000, this.outlets.flatMap((c) => (c.transaction ? [c.transaction.startMs] : [])));
    if (next !== undefined) this.#limitTimer = setTimeout(() => this.applyLimits(), Math.max(50, next - now + 5));
  }

  #save(): void {
    const out: Record<string, PersistedConnector> = {};
    for (const c of this.connectors) out[String(c.id)] = c.persisted();
    this.#file.write(out);
  }
}
