import type { EntityManager } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import type { CsmsHooks } from '../../hooks.js';
import type { HookRunner } from '../../kernel/hooks.js';
import type { Logger } from '../../kernel/logger.js';
import type {
  MeterValue,
  MeterValuesRequest,
  MeterValuesResponse,
  StartTransactionRequest,
  StartTransactionResponse,
  StopTransactionRequest,
  StopTransactionResponse,
} from '../../ocpp/v16/messages.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import {
  AuditLogSchema,
  DeviceEventSchema,
  MeterSampleSchema,
  OrphanMessageSchema,
  ReservationSchema,
  TransactionSchema,
  type Transaction,
} from '../../persistence/entities/index.js';
import type { SampleInbox } from '../../persistence/sample-inbox.js';
import type { BatchWriter, WriteBatcher } from '../../persistence/write-batcher.js';
import type { AuthorizationService } from '../authorization/authorization-service.js';
import { parseTimestamp } from '../charge-points/charge-point-service.js';
import { ENERGY_REGISTER, normaliseSampledValue } from '../meter-values/normalise-sampled-value.js';
import type { SettingsService } from '../settings/settings-service.js';
import { finalCostFields, tariffSnapshot } from '../tariffs/transaction-cost.js';
import { timestampFlags } from './timestamp-flags.js';
import { toTransactionInfo } from './transaction-info.js';

export interface TransactionServiceDeps {
  batcher: WriteBatcher;
  /** Where new samples are written (`write`), and what a work moves before it reads meter_sample (`moveInto`). */
  sampleInbox: Pick<SampleInbox, 'write' | 'moveInto'>;
  authorization: AuthorizationService;
  /** The tariff: snapshot at start, final cost at stop (docs/tariffs-and-reservations.md). */
  settings: Pick<SettingsService, 'get'>;
  hooks: HookRunner<CsmsHooks>;
  config: CsmsConfig;
  clock: Clock;
  log: Logger;
}

/**
 * A transaction message let through although it breaks the 1.6 schema (its readable core was
 * intact): the transaction is flagged `schema-violation` and the raw payload is kept as a
 * DeviceEvent of kind `SchemaViolation` for review.
 */
export interface MessageIntake {
  schemaViolation?: { keyword: string; path: string; message: string } | undefined;
  messageId?: string | undefined;
}

/** The intake of a message that met the schema. */
export const NO_INTAKE: MessageIntake = Object.freeze({});

/** What a committed MeterValues changed: null when it was kept as an orphan. */
type MeterValuesOutcome = { open: OpenTransaction | null; register?: Register | undefined; flags?: string[] | undefined; resent?: boolean } | null;

/** Flags of sessions that are not billed unless the `billing` setting says so (shown for review). */
export const UNAUTHORIZED_SESSION_FLAGS: readonly string[] = ['id-tag-invalid', 'id-tag-blocked', 'id-tag-expired', 'id-tag-concurrenttx'];

/** How many recent MeterValues per transaction are remembered for duplicate detection (in memory only). */
const RECENT_METER_VALUES = 16;


/**
 * StartTransaction, MeterValues and StopTransaction. The rules (DESIGN.md "OCPP rules"): always
 * an answer, never a refusal of data; a resent Start returns the same id; a repeated Stop stores
 * nothing twice; stops and meter values that belong to no open transaction of this charge point
 * are kept apart as orphans; skewed clocks and register anomalies become flags, never errors.
 * Every answer is sent after its data is committed (group commit through the WriteBatcher).
 */
export class TransactionService {
  readonly #deps: TransactionServiceDeps;
  /**
   * Open transactions by id, filled after each commit (start, or first MeterValues after a restart),
   * so that MeterValues — the hot path — need no database read. Removed when the Stop commits.
   */
  readonly #open = new Map<number, OpenTransaction>();
  /** Transactions whose StopTransaction is being written: their MeterValues look in the database. */
  readonly #stopping = new Set<number>();
  /**
   * `chargePoint\0transactionId` of every StopTransaction received and not yet committed, set the
   * moment it arrives: a MeterValues that arrives after it (pipelined behind the Stop) is late and
   * is never attached to the transaction, whatever order the two writes reach the database in.
   */
  readonly #stopArrived = new Map<string, number>();
  /**
   * `chargePoint\0transactionId` → MeterValues queued and not yet committed for a transaction that
   * is not in memory (after a restart). Their works read the stored samples to drop those stored
   * already; a second one queued before the first has committed runs after that commit
   * (`readsEarlierWrites`), so a copy sent right behind the first is not stored twice.
   */
  readonly #restoring = new Map<string, number>();

  /**
   * What the MeterValues path uses, taken from `deps` once: `deps` may be the container's cradle,
   * which resolves a service on every property read, and a flood reads these once per message.
   */
  readonly #batcher: WriteBatcher;
  readonly #samples: TransactionServiceDeps['sampleInbox'];
  readonly #hooks: HookRunner<CsmsHooks>;
  readonly #clockSkewTolerance: CsmsConfig['ocpp']['clockSkewTolerance'];

  constructor(deps: TransactionServiceDeps) {
    this.#deps = deps;
    this.#batcher = deps.batcher;
    this.#samples = deps.sampleInbox;
    this.#hooks = deps.hooks;
    this.#clockSkewTolerance = deps.config.ocpp.clockSkewTolerance;
  }

  async start(chargePointId: string, request: StartTransactionRequest, receivedAt: Date, intake: MessageIntake = {}): Promise<StartTransactionResponse> {
    const { batcher, authorization, hooks, config } = this.#deps;
    const idTagInfo = await authorization.authorize(chargePointId, request.idTag, 'StartTransaction');
    const tariff = await this.#deps.settings.get('tariff');
    const startTimestamp = parseTimestamp(request.timestamp) ?? receivedAt;
    // An over-long idTag (a schema failure let through) is stored cut to the column's 20 characters;
    // the whole one stays in the kept raw payload.
    const idTag = request.idTag.length > 20 ? request.idTag.slice(0, 20) : request.idTag;
    const { tx, created, gapWh } = await batcher.run(async (em) => {
      const existing = await em.findOne(TransactionSchema, {
        chargePoint: chargePointId,
        connectorId: request.connectorId,
        idTag,
        startTimestamp,
        meterStart: request.meterStart,
      });
      if (existing) return { tx: existing, created: false, gapWh: 0 };

      const flags = timestampFlags(startTimestamp, receivedAt, config.ocpp.clockSkewTolerance);
      if (request.meterStart < 0) flags.push('meter-start-negative');
      const previous = await em.findOne(
        TransactionSchema,
        { chargePoint: chargePointId, connectorId: request.connectorId, meterStop: { $ne: null } },
        { orderBy: { id: 'desc' } },
      );
      if (previous?.meterStop != null && request.meterStart < previous.meterStop) flags.push('register-reset');
      // Energy the meter counted between the previous session's stop and this start went to no
      // session: reported, never billed.
      const gapWh = previous?.meterStop != null ? request.meterStart - previous.meterStop : 0;
      if (gapWh > 0) flags.push('energy-gap');
      if (intake.schemaViolation) flags.push('schema-violation');
      if (idTagInfo.status !== 'Accepted') flags.push(`id-tag-${idTagInfo.status.toLowerCase()}`);

      const tx = em.create(TransactionSchema, {
        chargePoint: chargePointId,
        connectorId: request.connectorId,
        idTag,
        idTagStatus: idTagInfo.status,
        parentIdTag: idTagInfo.parentIdTag ?? null,
        reservationId: request.reservationId ?? null,
        meterStart: request.meterStart,
        startTimestamp,
        startReceivedAt: receivedAt,
        flags,
        status: 'Active',
        // The price in force when the session starts is the one it is billed at.
        costBreakdown: tariffSnapshot(tariff, receivedAt),
      });
      await em.flush();
      if (request.reservationId !== undefined) await this.#useReservation(em, chargePointId, request.reservationId, tx);
      this.#keepViolation(em, chargePointId, 'StartTransaction', request, intake, receivedAt, tx.id);
      if (gapWh > 0) {
        em.create(DeviceEventSchema, {
          chargePoint: chargePointId,
          kind: 'EnergyGap',
          status: 'flagged',
          payload: { connectorId: request.connectorId, previousTransactionId: previous!.id, previousMeterStop: previous!.meterStop, meterStart: request.meterStart, gapWh, transactionId: tx.id },
          receivedAt,
        });
      }
      return { tx, created: true, gapWh };
    });
    if (created) {
      this.#open.set(tx.id, openTransaction(tx, { value: tx.meterStart, at: tx.startTimestamp.getTime() }));
      this.#deps.log.info({ chargePointId, transactionId: tx.id, idTag: request.idTag, status: idTagInfo.status }, 'transaction started');
      if (gapWh > 0) this.#deps.log.warn({ chargePointId, connectorId: request.connectorId, transactionId: tx.id, gapWh }, 'energy gap between the previous stop and this start: flagged energy-gap');
      hooks.observe('onTransactionStarted', { chargePointId, transaction: toTransactionInfo(tx) }, chargePointId);
      return { transactionId: tx.id, idTagInfo };
    }
    this.#deps.log.info({ chargePointId, transactionId: tx.id }, 'resent StartTransaction: same transaction id returned');
    return { transactionId: tx.id, idTagInfo: { ...idTagInfo, status: tx.idTagStatus as StartTransactionResponse['idTagInfo']['status'] } };
  }

  /**
   * Stores a MeterValues and answers it (`{}`) once its samples are committed. The common case (a
   * sample of a transaction known to be open, no schema violation) is a row-only batcher work with
   * one promise of ours: a MeterValues flood is this method once per message.
   */
  meterValues(chargePointId: string, request: MeterValuesRequest, receivedAt: Date, intake: MessageIntake = NO_INTAKE): Promise<MeterValuesResponse> {
    const batcher = this.#batcher;
    const { transactionId } = request;
    if (transactionId !== undefined && this.#stopArrived.size > 0 && this.#stopArrived.has(`${chargePointId}\0${transactionId}`)) {
      return this.#meterValuesAfterStop(chargePointId, transactionId, request, receivedAt, intake);
    }
    const cached = transactionId === undefined ? undefined : this.#open.get(transactionId);
    const key = resendKey(request);
    // A charger that lost our answer resends the same message. One whose key matches a recent
    // message of its transaction is checked against the stored samples (keys are hashes: two
    // different messages may share one), and whatever is stored already is not stored again.
    const ours = cached !== undefined && cached.chargePointId === chargePointId ? cached : undefined;
    const maybeResent = ours !== undefined && ours.recent.has(key);
    // Remembered now, not only once committed: a copy sent while this one is still being committed
    // (a charger that gave up waiting for our answer) is then checked too, after this one's commit.
    // A key only ever leads to that check, so remembering one whose message fails costs nothing.
    if (ours !== undefined) remember(ours, key);
    // A sample of a transaction known to be open (its Start committed, no Stop seen) reads nothing
    // and may be committed alongside other such samples (WriteBatcher `independent`). Without a
    // schema violation to keep, it is a row-only work (no ORM): its transaction is still Active
    // when the work runs, even if a Stop arrives meanwhile, since the Stop's work is queued after it.
    const known = this.#usableOpen(cached, chargePointId);
    const restoring = known === null && transactionId !== undefined ? `${chargePointId}\0${transactionId}` : undefined;
    const readsEarlierWrites = maybeResent || (restoring !== undefined && this.#restoringAdd(restoring));
    const outcome: Promise<MeterValuesOutcome> = known && !intake.schemaViolation && !maybeResent
      ? batcher.write((rows) => {
          const result = this.#insertSamples(rows, chargePointId, request.connectorId, known, request.meterValue, receivedAt);
          if (result.flags) rows.update(TransactionSchema, known.id, { flags: result.flags });
          return { open: known, register: result.register, flags: result.flags };
        }, { independent: true })
      : batcher.run((em, rows) => this.#meterValuesWork(em, rows, chargePointId, request, receivedAt, intake, cached, maybeResent), {
          // A possible resend reads the stored samples: after every earlier write has committed.
          independent: known !== null,
          readsEarlierWrites,
        });
    if (restoring !== undefined) {
      const done = () => this.#restoringDone(restoring);
      void outcome.then(done, done);
    }
    return outcome.then((committed) => {
      this.#meterValuesCommitted(chargePointId, request, key, receivedAt, committed);
      return {};
    });
  }

  /** Counts a queued MeterValues of a transaction not in memory; true when another is queued already. */
  #restoringAdd(key: string): boolean {
    const queued = this.#restoring.get(key) ?? 0;
    this.#restoring.set(key, queued + 1);
    return queued > 0;
  }

  #restoringDone(key: string): void {
    const left = (this.#restoring.get(key) ?? 1) - 1;
    if (left > 0) this.#restoring.set(key, left);
    else this.#restoring.delete(key);
  }

  /** Decided by order of arrival: the Stop of this transaction came first. Kept apart as late. */
  async #meterValuesAfterStop(chargePointId: string, transactionId: number, request: MeterValuesRequest, receivedAt: Date, intake: MessageIntake): Promise<MeterValuesResponse> {
    await this.#deps.batcher.run((em) => {
      em.create(OrphanMessageSchema, { chargePoint: chargePointId, action: 'MeterValues', claimedTransactionId: transactionId, reason: 'after-stop', payload: request, receivedAt });
      this.#keepViolation(em, chargePointId, 'MeterValues', request, intake, receivedAt, null);
    });
    this.#deps.log.warn({ chargePointId, transactionId }, 'meter values received after the StopTransaction of their transaction: kept apart as late (orphan after-stop)');
    this.#deps.hooks.observe('onMeterValues', { chargePointId, transactionId: null, request, receivedAt }, chargePointId);
    return {};
  }

  /**
   * The batch work of a MeterValues that needs the ORM: a transaction not in memory (after a
   * restart), one that may have closed, a schema violation to keep, or a possible resend
   * (`checkStored`). Null: kept as an orphan.
   */
  async #meterValuesWork(
    em: EntityManager,
    rows: BatchWriter,
    chargePointId: string,
    request: MeterValuesRequest,
    receivedAt: Date,
    intake: MessageIntake,
    cached: OpenTransaction | undefined,
    checkStored: boolean,
  ): Promise<MeterValuesOutcome> {
    const { transactionId } = request;
    let open: OpenTransaction | null = null;
    let meterValue = request.meterValue;
    if (transactionId !== undefined) {
      open = this.#usableOpen(cached, chargePointId); // again when the batch runs: a Stop may have arrived
      if (!open) {
        const tx = await em.findOne(TransactionSchema, { id: transactionId, chargePoint: chargePointId });
        if (!tx || tx.status !== 'Active') {
          em.create(OrphanMessageSchema, {
            chargePoint: chargePointId,
            action: 'MeterValues',
            claimedTransactionId: transactionId,
            reason: tx ? 'transaction-closed' : 'unknown-transaction',
            payload: request,
            receivedAt,
          });
          this.#keepViolation(em, chargePointId, 'MeterValues', request, intake, receivedAt, null);
          return null;
        }
        // After a restart the register is taken from the samples already stored, so a register
        // that went backwards across the restart is still flagged.
        open = openTransaction(tx, await this.#latestStoredRegister(em, tx));
        // Not in memory (a restart of the core): a charger resending what we committed just
        // before the restart is recognised from the stored samples instead of the recent keys.
        meterValue = await this.#unstoredOnly(em, tx.id, meterValue);
      } else if (checkStored) {
        meterValue = await this.#unstoredOnly(em, open.id, meterValue);
      }
    }
    // Every sampled value was stored already: a resend, acknowledged with nothing stored twice.
    const resent = meterValue.length === 0 && request.meterValue.length > 0;
    const result = this.#insertSamples(rows, chargePointId, request.connectorId, open, meterValue, receivedAt);
    if (open && intake.schemaViolation && !(result.flags ?? open.flags).includes('schema-violation')) {
      result.flags = [...(result.flags ?? open.flags), 'schema-violation'];
    }
    if (open && result.flags) await em.nativeUpdate(TransactionSchema, { id: open.id }, { flags: result.flags });
    this.#keepViolation(em, chargePointId, 'MeterValues', request, intake, receivedAt, open?.id ?? null);
    return { open, register: result.register, flags: result.flags, resent };
  }

  /** After the commit: remember what the message changed (in memory only now, since a batch work may run twice), tell the hooks. */
  #meterValuesCommitted(chargePointId: string, request: MeterValuesRequest, key: number, receivedAt: Date, outcome: MeterValuesOutcome): void {
    const { transactionId } = request;
    if (!outcome) {
      this.#deps.log.warn({ chargePointId, transactionId }, 'meter values for an unknown or closed transaction kept as orphan');
    } else if (outcome.open && transactionId !== undefined) {
      const open = outcome.open;
      if (outcome.register) open.register = outcome.register;
      if (outcome.flags) open.flags = outcome.flags;
      remember(open, key);
      if (!this.#stopping.has(open.id)) this.#open.set(open.id, open);
    }
    if (outcome?.resent) return; // nothing new for the hooks (logged by #unstoredOnly)
    this.#hooks.observe(
      'onMeterValues',
      { chargePointId, transactionId: outcome ? (transactionId ?? null) : null, request, receivedAt },
      chargePointId,
    );
  }

  async stop(chargePointId: string, request: StopTransactionRequest, receivedAt: Date, intake: MessageIntake = {}): Promise<StopTransactionResponse> {
    // Marked before anything is awaited: this is the order of arrival on the charger's connection.
    const arrivalKey = `${chargePointId}\0${request.transactionId}`;
    this.#stopArrived.set(arrivalKey, (this.#stopArrived.get(arrivalKey) ?? 0) + 1);
    try {
      return await this.#stop(chargePointId, request, receivedAt, intake);
    } finally {
      const left = (this.#stopArrived.get(arrivalKey) ?? 1) - 1;
      if (left > 0) this.#stopArrived.set(arrivalKey, left);
      else this.#stopArrived.delete(arrivalKey);
    }
  }

  async #stop(chargePointId: string, request: StopTransactionRequest, receivedAt: Date, intake: MessageIntake): Promise<StopTransactionResponse> {
    const { batcher, authorization, hooks, config } = this.#deps;
    const idTagInfo = request.idTag ? await authorization.authorize(chargePointId, request.idTag, 'StopTransaction') : undefined;
    const billing = await this.#deps.settings.get('billing');
    const tariff = await this.#deps.settings.get('tariff');
    const stopTimestamp = parseTimestamp(request.timestamp) ?? receivedAt;
    this.#stopping.add(request.transactionId);
    const outcome = await batcher.run(async (em, rows): Promise<{ kind: 'stopped'; tx: Transaction } | { kind: 'duplicate' | 'orphan'; reason?: string }> => {
      const tx = request.transactionId > 0 ? await em.findOne(TransactionSchema, { id: request.transactionId, chargePoint: chargePointId }) : null;
      if (tx?.status === 'Completed' && tx.meterStop === request.meterStop && tx.stopTimestamp?.getTime() === stopTimestamp.getTime()) {
        return { kind: 'duplicate' };
      }
      if (!tx || tx.status === 'Completed') {
        const reason = tx ? 'already-stopped' : 'unknown-transaction';
        em.create(OrphanMessageSchema, {
          chargePoint: chargePointId,
          action: 'StopTransaction',
          claimedTransactionId: request.transactionId,
          reason,
          payload: request,
          receivedAt,
        });
        this.#keepViolation(em, chargePointId, 'StopTransaction', request, intake, receivedAt, null);
        return { kind: 'orphan', reason };
      }

      const flags = new Set([...(tx.flags ?? []), ...timestampFlags(stopTimestamp, receivedAt, config.ocpp.clockSkewTolerance)]);
      if (request.meterStop < tx.meterStart) flags.add('meter-stop-below-start');
      if (stopTimestamp.getTime() < tx.startTimestamp.getTime()) flags.add('stop-before-start');
      if (idTagInfo && idTagInfo.status !== 'Accepted') flags.add(`stop-id-tag-${idTagInfo.status.toLowerCase()}`);
      if (intake.schemaViolation) flags.add('schema-violation');
      em.assign(tx, {
        meterStop: request.meterStop,
        stopTimestamp,
        stopReceivedAt: receivedAt,
        stopReason: request.reason ?? 'Local',
        stopIdTag: request.idTag ?? null,
        energyWh: Math.max(0, request.meterStop - tx.meterStart),
        flags: [...flags],
        status: 'Completed',
      });
      // transactionData repeats readings the charger already sent as MeterValues (StopTxnSampledData
      // overlapping MeterValuesSampledData): only the ones not stored yet are added.
      const transactionData = request.transactionData?.length ? await this.#unstoredOnly(em, tx.id, request.transactionData) : [];
      if (transactionData.length) {
        const open = this.#open.get(tx.id) ?? openTransaction(tx, await this.#latestStoredRegister(em, tx));
        const { flags: withSampleFlags } = this.#insertSamples(rows, chargePointId, tx.connectorId, { ...open, flags: tx.flags ?? [] }, transactionData, receivedAt);
        if (withSampleFlags) tx.flags = withSampleFlags;
      }
      const cost = await finalCostFields(em, tx, tariff);
      const unauthorized = (tx.flags ?? []).filter((f) => UNAUTHORIZED_SESSION_FLAGS.includes(f));
      if (unauthorized.length > 0 && !billing.billUnauthorizedSessions) {
        // Not billed (operator setting `billing.billUnauthorizedSessions`): the computed price is
        // kept in the breakdown and the session is flagged for review.
        em.assign(tx, { cost: 0, costBreakdown: { ...cost.costBreakdown, notBilled: { reason: unauthorized, computedCost: cost.cost } }, flags: [...(tx.flags ?? []), 'not-billed'] });
      } else {
        em.assign(tx, cost);
      }
      this.#keepViolation(em, chargePointId, 'StopTransaction', request, intake, receivedAt, tx.id);
      return { kind: 'stopped', tx };
    }, { readsEarlierWrites: true }) // it reads the stored samples (transactionData, cost): every earlier MeterValues committed first
      .finally(() => this.#stopping.delete(request.transactionId));

    if (outcome.kind === 'stopped') {
      this.#open.delete(outcome.tx.id);
      this.#deps.log.info({ chargePointId, transactionId: outcome.tx.id, energyWh: outcome.tx.energyWh }, 'transaction stopped');
      hooks.observe('onTransactionStopped', { chargePointId, transaction: toTransactionInfo(outcome.tx) }, chargePointId);
    } else if (outcome.kind === 'duplicate') {
      this.#deps.log.info({ chargePointId, transactionId: request.transactionId }, 'repeated StopTransaction acknowledged, nothing stored');
    } else {
      this.#deps.log.warn({ chargePointId, transactionId: request.transactionId, reason: outcome.reason }, 'StopTransaction kept as orphan for review');
    }
    return idTagInfo ? { idTagInfo } : {};
  }

  /**
   * An operator closes a transaction the charger never stopped (lost Stop, replaced charger):
   * Completed now, stop reason `Other`, flagged `closed-by-operator`, meterStop = the given reading
   * or the last stored energy register (else meterStart), priced like a Stop, audited
   * (`CloseTransaction` with the reason), then `onTransactionStopped` as for a Stop. NOT_FOUND for an
   * unknown id, CONFLICT when it is not Active. A Stop the charger sends later is kept as an orphan.
   */
  async closeByOperator(transactionId: number, input: { reason: string; meterStopWh?: number; actor: string; chargePointId?: string }): Promise<Transaction> {
    const { batcher, hooks } = this.#deps;
    const tariff = await this.#deps.settings.get('tariff');
    const billing = await this.#deps.settings.get('billing');
    const now = this.#deps.clock.now();
    this.#stopping.add(transactionId);
    const tx = await batcher
      .run(async (em) => {
        const where = input.chargePointId === undefined ? { id: transactionId } : { id: transactionId, chargePoint: input.chargePointId };
        const found = await em.findOne(TransactionSchema, where);
        if (!found) throw new CsmsError(CsmsErrorCode.NOT_FOUND, `transaction ${transactionId} not found`, { details: { transactionId } });
        if (found.status !== 'Active') {
          throw new CsmsError(CsmsErrorCode.CONFLICT, `transaction ${transactionId} is ${found.status}, not Active; only an open transaction can be closed`, {
            details: { transactionId, status: found.status },
          });
        }
        const meterStop = input.meterStopWh ?? (await this.#latestStoredRegister(em, found)).value;
        const flags = new Set([...(found.flags ?? []), 'closed-by-operator']);
        if (meterStop < found.meterStart) flags.add('meter-stop-below-start');
        em.assign(found, {
          meterStop,
          stopTimestamp: now,
          stopReceivedAt: now,
          stopReason: 'Other',
          stopIdTag: null,
          energyWh: Math.max(0, meterStop - found.meterStart),
          flags: [...flags],
          status: 'Completed',
        });
        const cost = await finalCostFields(em, found, tariff);
        const unauthorized = (found.flags ?? []).filter((f) => UNAUTHORIZED_SESSION_FLAGS.includes(f));
        if (unauthorized.length > 0 && !billing.billUnauthorizedSessions) {
          em.assign(found, { cost: 0, costBreakdown: { ...cost.costBreakdown, notBilled: { reason: unauthorized, computedCost: cost.cost } }, flags: [...(found.flags ?? []), 'not-billed'] });
        } else {
          em.assign(found, cost);
        }
        em.create(AuditLogSchema, {
          at: now,
          actor: input.actor,
          action: 'CloseTransaction',
          chargePoint: found.chargePoint as unknown as string,
          request: { transactionId, reason: input.reason, ...(input.meterStopWh !== undefined ? { meterStopWh: input.meterStopWh } : {}) },
          result: { meterStop, energyWh: found.energyWh, cost: found.cost },
          outcome: 'ok',
        });
        return found;
      }, { readsEarlierWrites: true }) // the last register and the cost come from the stored samples
      .finally(() => this.#stopping.delete(transactionId));
    this.#open.delete(tx.id);
    const chargePointId = tx.chargePoint as unknown as string;
    this.#deps.log.warn({ chargePointId, transactionId, actor: input.actor, reason: input.reason }, 'transaction closed by an operator');
    hooks.observe('onTransactionStopped', { chargePointId, transaction: toTransactionInfo(tx) }, chargePointId);
    return tx;
  }

  /** Keeps the raw payload of a message let through with a schema violation (DeviceEvent `SchemaViolation`). */
  #keepViolation(em: EntityManager, chargePointId: string, action: string, request: unknown, intake: MessageIntake, receivedAt: Date, transactionId: number | null): void {
    if (!intake.schemaViolation) return;
    em.create(DeviceEventSchema, {
      chargePoint: chargePointId,
      kind: 'SchemaViolation',
      status: action,
      payload: { action, messageId: intake.messageId ?? null, transactionId, violation: intake.schemaViolation, request },
      receivedAt,
    });
  }

  async #useReservation(em: EntityManager, chargePointId: string, reservationId: number, tx: Transaction): Promise<void> {
    const reservation = await em.findOne(ReservationSchema, { id: reservationId, chargePoint: chargePointId });
    if (reservation) em.assign(reservation, { status: 'Used', transactionId: tx.id });
    else tx.flags = [...(tx.flags ?? []), 'unknown-reservation'];
  }

  /**
   * The sampled values of `meterValues` that the transaction does not have stored yet. A stored
   * sample is the same reading when charge point timestamp, measurand, phase, location and
   * normalised value match (the context may differ: a transactionData copy is not a new reading).
   * One query on the transaction's samples at the timestamps of the message (meter_sample_tx_measurand_ts_idx).
   */
  async #unstoredOnly(em: EntityManager, transactionId: number, meterValues: MeterValue[]): Promise<MeterValue[]> {
    const stamps = new Map<number, Date>();
    for (const mv of meterValues) {
      const at = parseTimestamp(mv.timestamp);
      if (at) stamps.set(at.getTime(), at);
    }
    if (stamps.size === 0) return meterValues;
    await this.#deps.sampleInbox.moveInto(em);
    const stored = await em.find(MeterSampleSchema, { transaction: transactionId, timestamp: { $in: [...stamps.values()] } });
    if (stored.length === 0) return meterValues;
    const key = (at: number, s: { measurand: string; phase?: string | null; location?: string | null; value?: number | string | null }): string =>
      `${at}|${s.measurand}|${s.phase ?? ''}|${s.location ?? ''}|${s.value == null ? '' : Number(s.value)}`;
    const seen = new Set(stored.map((s) => key(s.timestamp.getTime(), s)));
    const out: MeterValue[] = [];
    for (const mv of meterValues) {
      const at = parseTimestamp(mv.timestamp)?.getTime();
      const sampledValue = at === undefined ? mv.sampledValue : mv.sampledValue.filter((sv) => !seen.has(key(at, normaliseSampledValue(sv))));
      if (sampledValue.length > 0) out.push(sampledValue.length === mv.sampledValue.length ? mv : { ...mv, sampledValue });
    }
    const dropped = meterValues.reduce((n, mv) => n + mv.sampledValue.length, 0) - out.reduce((n, mv) => n + mv.sampledValue.length, 0);
    if (dropped > 0) this.#deps.log.info({ transactionId, samples: dropped }, 'sampled values already stored for this transaction (resent or repeated in transactionData): not stored twice');
    return out;
  }

  /** The latest (by charge point time) Wh energy register stored for a transaction, else meterStart. */
  async #latestStoredRegister(em: EntityManager, tx: Transaction): Promise<Register> {
    await this.#deps.sampleInbox.moveInto(em);
    const latest = await em.findOne(
      MeterSampleSchema,
      { transaction: tx.id, measurand: ENERGY_REGISTER, phase: null, unit: 'Wh', value: { $ne: null } },
      { orderBy: { timestamp: 'desc', id: 'desc' } },
    );
    return latest?.value == null
      ? { value: tx.meterStart, at: tx.startTimestamp.getTime() }
      : { value: Number(latest.value), at: latest.timestamp.getTime() };
  }

  /** The cached open transaction, if it is this charge point's and its Stop has not arrived. */
  #usableOpen(cached: OpenTransaction | undefined, chargePointId: string): OpenTransaction | null {
    return cached && cached.chargePointId === chargePointId && !this.#stopping.has(cached.id) ? cached : null;
  }

  /**
   * Normalises and queues the sampled values as rows of the batch's multi-row INSERT, and judges
   * the energy register in charge point time order. Returns the register after these samples and
   * the transaction's new flags (only when they changed); nothing in memory is changed here.
   */
  #insertSamples(
    rows: BatchWriter,
    chargePointId: string,
    connectorId: number,
    tx: OpenTransaction | null,
    meterValues: MeterValue[],
    receivedAt: Date,
  ): { register: Register | undefined; flags: string[] | undefined } {
    const tolerance = this.#clockSkewTolerance;
    // The transaction's flags with those these samples add; copied only when one is added.
    let txFlags: Set<string> | undefined;
    let register = tx?.register;
    for (const mv of meterValues) {
      const timestamp = parseTimestamp(mv.timestamp) ?? receivedAt;
      const timeFlags = timestampFlags(timestamp, receivedAt, tolerance);
      for (const sv of mv.sampledValue) {
        const sample = normaliseSampledValue(sv);
        let anomaly: string | null = null;
        if (tx && register && sample.measurand === ENERGY_REGISTER && sample.phase === null && sample.value !== null && sample.unit === 'Wh') {
          const at = timestamp.getTime();
          anomaly = sample.value < tx.meterStart ? 'register-below-start' : at >= register.at && sample.value < register.value ? 'register-decrease' : null;
          if (anomaly) txFlags = withFlag(txFlags, tx, 'register-anomaly');
          if (at >= register.at) register = { value: sample.value, at };
        }
        if (timeFlags.length && tx) txFlags = withFlag(txFlags, tx, 'sample-clock-skew');
        this.#samples.write(rows, {
          transaction: tx?.id ?? null,
          chargePoint: chargePointId,
          connectorId,
          timestamp,
          receivedAt,
          measurand: sample.measurand,
          phase: sample.phase,
          location: sample.location,
          context: sample.context,
          unit: sample.unit,
          value: sample.value,
          rawValue: sample.rawValue,
          format: sample.format,
          flags: anomaly ? [...timeFlags, anomaly] : timeFlags.length ? [...timeFlags] : null,
        });
      }
    }
    return { register, flags: txFlags && [...txFlags] };
  }
}

/** `flags` (or, until a flag is added, the transaction's own flags) with `flag`. */
function withFlag(flags: Set<string> | undefined, tx: OpenTransaction, flag: string): Set<string> | undefined {
  if (flags?.has(flag) ?? tx.flags.includes(flag)) return flags;
  return (flags ?? new Set(tx.flags)).add(flag);
}

/** The energy register last seen in a transaction, with the charge point time of the reading. */
interface Register {
  value: number;
  at: number;
}

/** What the MeterValues hot path needs to know about an open transaction. */
interface OpenTransaction {
  id: number;
  chargePointId: string;
  meterStart: number;
  flags: string[];
  register: Register;
  /**
   * The `resendKey`s of the last RECENT_METER_VALUES MeterValues committed: one lookup per message
   * finds a possible resend. Small integers, not the messages themselves: a flood keeps thousands
   * of these alive for a second or two, and a message's dozen objects (or even one string) each
   * would be copied by every scavenge of the garbage collector; a small integer is no object at all.
   */
  recent: Set<number>;
  /** The keys of `recent`, oldest first (the next one to forget). */
  recentOrder: number[];
}

/**
 * A 32-bit hash (FNV-1a) of what makes a MeterValues a resend of another: its connector and every
 * field of its readings. Equal messages have equal keys; a match is then checked against the
 * stored samples (`#unstoredOnly`), so two different messages that share a key lose nothing.
 */
export function resendKey(request: MeterValuesRequest): number {
  let h = mix(FNV_OFFSET, request.connectorId);
  for (const mv of request.meterValue) {
    h = hashText(mix(h, 1), mv.timestamp);
    for (const sv of mv.sampledValue) {
      h = hashText(mix(h, 2), sv.value);
      h = hashText(h, sv.context);
      h = hashText(h, sv.format);
      h = hashText(h, sv.measurand);
      h = hashText(h, sv.phase);
      h = hashText(h, sv.location);
      h = hashText(h, sv.unit);
    }
  }
  return h;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

function mix(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME);
}

/** Hashes a field: absent and present-but-empty differ, and its end is marked. */
function hashText(h: number, text: string | undefined): number {
  if (text === undefined) return mix(h, 0xfffe);
  for (let i = 0; i < text.length; i++) h = mix(h, text.charCodeAt(i));
  return mix(h, 0xffff);
}

/** Remembers a committed MeterValues for the resend check; forgets the oldest beyond RECENT_METER_VALUES. */
function remember(open: OpenTransaction, key: number): void {
  if (open.recent.has(key)) return;
  open.recent.add(key);
  open.recentOrder.push(key);
  if (open.recentOrder.length > RECENT_METER_VALUES) open.recent.delete(open.recentOrder.shift()!);
}

function openTransaction(tx: Transaction, register: Register): OpenTransaction {
  return { id: tx.id, chargePointId: tx.chargePoint, meterStart: tx.meterStart, flags: [...(tx.flags ?? [])], register, recent: new Set(), recentOrder: [] };
}

