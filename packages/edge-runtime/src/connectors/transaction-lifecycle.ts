import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { HookRunner, Logger } from '@charge-it/core/kernel';
import type { Authorizer } from '../auth/authorizer.js';
import type { ConfigurationStore } from '../config-keys/configuration-store.js';
import type { Clock } from '../ocpp/clock.js';
import { isValidStatus, type ChargingProfile, type IdTagInfo, type StartTransactionRequest, type StartTransactionResponse, type StopReason, type StopTransactionResponse } from '../ocpp/ocpp-types.js';
import type { Outbox, OutboxEntry, QueuedPayloads } from '../ocpp/outbox.js';
import type { EdgeHooks } from '../plugins/edge-hooks.js';
import type { ChargingProfileStore } from '../smart-charging/charging-profile-store.js';
import type { ChargePointEvents } from './charge-point-events.js';
import type { ActiveTransaction, Connector } from './connector.js';
import type { MeterSampling } from './meter-sampling.js';

/** What the transaction lifecycle needs from the charge point (the controller supplies it). */
export interface TransactionLifecycleDeps {
  identity: string;
  config: ConfigurationStore;
  outbox: Outbox;
  authorizer: Authorizer;
  profiles: ChargingProfileStore;
  hooks: HookRunner<EdgeHooks>;
  clock: Clock;
  log: Logger;
  events: EventEmitter<ChargePointEvents>;
  sampling: MeterSampling;
  outlets(): Connector[];
  connector(id: number): Connector | undefined;
  refreshStatus(c: Connector): void;
  applyLimits(): void;
  save(): void;
}

/**
 * Start and stop of a transaction through the durable outbox (StartTransaction journaled before
 * the state file; StopTransaction with its transactionData), what the central system answered
 * (idTagInfo, transactionId), and the PowerLoss stop of a Start journaled just before a crash.
 * Emits 'transactionStarted' and 'transactionStopped' on `deps.events`.
 */
export class TransactionLifecycle {
  readonly #d: TransactionLifecycleDeps;
  /** RemoteStartTransaction's TxProfile, installed when its transaction starts. */
  readonly #pendingTxProfiles = new Map<number, ChargingProfile>();

  constructor(deps: TransactionLifecycleDeps) {
    this.#d = deps;
  }

  setPendingProfile(connectorId: number, profile: ChargingProfile): void {
    this.#pendingTxProfiles.set(connectorId, profile);
  }

  /** A StartTransaction journaled just before a crash, whose transaction never reached the state file: stop it (PowerLoss). */
  async stopOrphanStart(txLocal: string, start: StartTransactionRequest): Promise<void> {
    const c = this.#d.connector(start.connectorId);
    if (!c || c.id === 0) return;
    const reading = await this.#d.sampling.read(c);
    const meterStop = Math.round(reading?.energyWh ?? start.meterStart);
    this.#d.outbox.enqueue('StopTransaction', { meterStop, timestamp: this.#d.clock.iso(), reason: 'PowerLoss', idTag: start.idTag }, txLocal);
  }

  /** Starts a transaction on `c` (false when one runs or the meter gives no reading). */
  async start(c: Connector, idTag: string, info: IdTagInfo, reservationId?: number): Promise<boolean> {
    if (c.transaction) return false;
    // Claim the connector before the meter read so that a second start cannot slip in.
    const now = this.#d.clock.now();
    const tx: ActiveTransaction = {
      txLocal: `${now.toString(36)}-${randomUUID().slice(0, 8)}`,
      idTag,
      ...(info.parentIdTag ? { parentIdTag: info.parentIdTag } : {}),
      startedAt: this.#d.clock.iso(now),
      startMs: now,
      meterStartWh: 0,
      ...(reservationId !== undefined ? { reservationId } : {}),
      stopTxnData: [],
    };
    c.transaction = tx;
    const reading = await this.#d.sampling.read(c);
    if (!reading) {
      c.transaction = undefined;
      this.#d.log.error({ connectorId: c.id }, 'cannot start: the meter gives no reading');
      this.#d.refreshStatus(c);
      return false;
    }
    tx.meterStartWh = Math.round(reading.energyWh);
    this.#d.sampling.setIntervalStart(c.id, reading.energyWh);
    // No cable sensor: the EV is there for as long as the session runs.
    if (c.cable === 'always') c.plugged = true;
    const startPayload: StartTransactionRequest = { connectorId: c.id, idTag, meterStart: tx.meterStartWh, timestamp: tx.startedAt };
    if (reservationId !== undefined) startPayload.reservationId = reservationId;
    // Journal the StartTransaction first: a crash before the state file is written is recovered
    // from the journal (ChargePointController.start → stopOrphanStart); the other order could lose the Start.
    this.#d.outbox.enqueue('StartTransaction', startPayload, tx.txLocal);
    // Begin and End samples carry the Start/Stop timestamp: they are the same reading as meterStart/meterStop.
    const begin = this.#d.sampling.sample(c, reading, this.#d.config.csl('StopTxnSampledData'), 'Transaction.Begin', undefined, tx.startedAt);
    if (begin) tx.stopTxnData.push(begin);
    if (c.reservation) {
      clearTimeout(c.reservationTimer);
      c.reservation = undefined;
    }
    c.finishing = false;
    this.#d.save();
    const profile = this.#pendingTxProfiles.get(c.id);
    if (profile) {
      this.#pendingTxProfiles.delete(c.id);
      this.#d.profiles.install(c.id, profile, now);
    }
    this.#d.log.info({ connectorId: c.id, idTag, meterStart: tx.meterStartWh, txLocal: tx.txLocal }, 'transaction started');
    this.#d.sampling.scheduleSampling(c);
    this.#d.applyLimits();
    this.#d.hooks.observe('onSessionStarted', { connectorId: c.id, idTag, txLocal: tx.txLocal, meterStartWh: tx.meterStartWh, timestamp: tx.startedAt }, this.#d.identity);
    this.#d.events.emit('transactionStarted', { connectorId: c.id, idTag, txLocal: tx.txLocal, meterStartWh: tx.meterStartWh });
    return true;
  }

  /** Stops the transaction on `c`; resolves when the StopTransaction is journaled. */
  async stop(c: Connector, reason: StopReason, idTag?: string): Promise<void> {
    const tx = c.transaction;
    if (!tx) return;
    clearInterval(c.samplingTimer);
    c.samplingTimer = undefined;
    const reading = await this.#d.sampling.read(c);
    if (c.transaction !== tx) return; // stopped meanwhile
    const meterStopWh = Math.max(tx.meterStartWh, Math.round(reading?.energyWh ?? tx.meterStartWh));
    const timestamp = this.#d.clock.iso();
    const end = reading ? this.#d.sampling.sample(c, reading, this.#d.config.csl('StopTxnSampledData'), 'Transaction.End', undefined, timestamp) : undefined;
    const transactionData = [...tx.stopTxnData, ...(end ? [end] : [])].map((mv) => ({ ...mv, timestamp: mv.timestamp }));
    const payload: QueuedPayloads['StopTransaction'] = { meterStop: meterStopWh, timestamp, reason, idTag: idTag ?? tx.idTag };
    if (transactionData.length > 0) payload.transactionData = transactionData;
    this.#d.outbox.enqueue('StopTransaction', payload, tx.txLocal);
    c.transaction = undefined;
    c.evSuspended = false;
    if (c.cable === 'always') c.plugged = false;
    // Power threshold: an EV that no longer draws cannot be told from an unplugged one; free the connector.
    if (c.cable === 'power' && !c.evDrawing) c.plugged = false;
    c.finishing = c.plugged;
    if (c.scheduledInoperative) {
      c.availability = 'Inoperative';
      c.scheduledInoperative = false;
    }
    this.#d.profiles.clearTxProfiles(c.id);
    this.#d.save();
    this.#d.log.info({ connectorId: c.id, reason, meterStart: tx.meterStartWh, meterStop: meterStopWh, txLocal: tx.txLocal }, 'transaction stopped');
    this.#d.applyLimits();
    const transactionId = this.transactionIdOf(tx);
    this.#d.hooks.observe(
      'onSessionStopped',
      { connectorId: c.id, idTag: tx.idTag, txLocal: tx.txLocal, ...(transactionId !== undefined ? { transactionId } : {}), meterStartWh: tx.meterStartWh, meterStopWh, reason, timestamp },
      this.#d.identity,
    );
    this.#d.events.emit('transactionStopped', { connectorId: c.id, txLocal: tx.txLocal, meterStartWh: tx.meterStartWh, meterStopWh, reason });
  }

  /** Called by the outbox after each acknowledged transaction message. */
  onDelivered(entry: OutboxEntry, conf: unknown, transactionId: number | undefined): void {
    if (entry.action === 'StartTransaction') {
      const c = this.#d.outlets().find((x) => x.transaction?.txLocal === entry.txLocal);
      const startConf = conf as StartTransactionResponse;
      const idTag = entry.payload.idTag;
      if (startConf?.idTagInfo) this.#d.authorizer.record(idTag, startConf.idTagInfo);
      if (!c?.transaction) return;
      if (transactionId !== undefined) c.transaction.transactionId = transactionId;
      this.#d.save();
      if (startConf?.idTagInfo && !isValidStatus(startConf.idTagInfo, this.#d.clock.now())) {
        if (this.#d.config.bool('StopTransactionOnInvalidId')) {
          this.#d.log.warn({ connectorId: c.id, status: startConf.idTagInfo.status }, 'StartTransaction not accepted: stopping (DeAuthorized)');
          void this.stop(c, 'DeAuthorized');
        } else {
          this.#d.log.warn({ connectorId: c.id, status: startConf.idTagInfo.status }, 'StartTransaction not accepted: energy cut (StopTransactionOnInvalidId=false)');
          c.transaction.deauthorized = true;
          this.#d.save();
          this.#d.applyLimits();
        }
      }
    } else if (entry.action === 'StopTransaction') {
      const info = (conf as StopTransactionResponse | undefined)?.idTagInfo;
      if (info && entry.payload.idTag !== undefined) this.#d.authorizer.record(entry.payload.idTag, info);
    }
  }

  transactionIdOf(tx: ActiveTransaction): number | undefined {
    return tx.transactionId ?? this.#d.outbox.transactionIdOf(tx.txLocal);
  }
}
