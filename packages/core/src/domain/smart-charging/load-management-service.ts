import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import { CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import { KeyedTimers } from '../../kernel/keyed-timers.js';
import type { Logger } from '../../kernel/logger.js';
import { TIMED_OUT, withTimeout } from '../../kernel/with-timeout.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { Sessions } from '../../ocpp/sessions.js';
import type { CentralSystemActions, ChargingProfile } from '../../ocpp/v16/central-system-messages.js';
import { ChargePointSchema, ChargingProfileSchema, TransactionSchema, type ChargingProfile as ChargingProfileRow } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import type { SettingsService } from '../settings/settings-service.js';
import type { AllocationReason, AllocationResult } from './allocate-power.js';
import { ChargingProfileCommands, rowFields, type ClearChargingProfileFilter, type StoredChargingProfile } from './charging-profile-commands.js';
import type { FailSafeLimit } from './fail-safe-limits.js';
import { byProfileOrder, keyOf, planDesiredProfiles, type DesiredProfile } from './load-management-plan.js';
import { CHARGE_POINT_MAX_PROFILE_ID, LOAD_MANAGEMENT_ID_BASE, singleLimitW, TX_DEFAULT_PROFILE_ID, txProfileId } from './load-management-profiles.js';

/**
 * State of a profile in the ChargingProfile table: `Pending` (being sent, or waiting for a retry
 * or for its charger to come back), the charger's answer `Accepted` / `Rejected` / `NotSupported`,
 * or `Cleared` (removed from the charger, replaced, or ended with its transaction).
 */
export type ProfileStatus = 'Pending' | 'Accepted' | 'Rejected' | 'NotSupported' | 'Cleared';

export interface LoadManagementAllocation {
  chargePointId: string;
  connectorId: number;
  transactionId: number;
  limitKw: number;
  reason: AllocationReason;
  /** State of its TxProfile; `NotSent` while its charger is offline or not yet Accepted. */
  profileStatus: ProfileStatus | 'NotSent';
}

export interface LoadManagementFailSafe {
  chargePointId: string;
  chargePointMaxKw: number;
  txDefaultKw: number;
  chargePointMaxStatus: ProfileStatus | 'NotSent';
  txDefaultStatus: ProfileStatus | 'NotSent';
}

export interface LoadManagementStatus {
  /** null = no site limit: load management is off. */
  siteLimitKw: number | null;
  /** Sum of the allocations (kW). */
  allocatedKw: number;
  allocations: LoadManagementAllocation[];
  failSafe: LoadManagementFailSafe[];
}

export type { ClearChargingProfileFilter, StoredChargingProfile } from './charging-profile-commands.js';

export interface RetryPolicy {
  /** Sends of one profile value before giving up (first one included). Default 5. */
  attempts: number;
  /** Wait before the first retry; doubled each time. Default `ocpp.callTimeoutMs`. */
  baseDelayMs: number;
  /** Longest wait between two attempts. Default 5 minutes. */
  maxDelayMs: number;
}

export interface LoadManagementServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  commands: CommandService;
  sessions: Sessions;
  settings: SettingsService;
  config: CsmsConfig;
  clock: Clock;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /**
   * How long a requested pass waits for more requests to join it (default 50 ms). A pass reads the
   * profiles table (and, when in use, every charge point and open transaction): in a reconnect
   * storm of 1,000 boots per second this makes ~20 passes a second instead of 1,000.
   */
  passDelayMs?: number;
}

/** Why a charger is looked at again: it booted (fail-safe re-sent) or reconnected (catch up). */
export type ReconcileReason = 'boot' | 'reconnect';

const ACTOR = 'system:load-management';

interface RetryState {
  /** What the failed attempts tried to reach: a limit, or null for a clear. */
  target: number | null;
  attempts: number;
  /** The retry timer fired: send at the next pass. */
  due: boolean;
  /** Out of attempts, or waiting for the charger to reconnect: only a change or a reconnect sends again. */
  parked: boolean;
}

interface Operation {
  key: string;
  chargePointId: string;
  /** Lower than what is in force now: sent in the first phase. */
  decrease: boolean;
  set?: DesiredProfile;
  clear?: ChargingProfileRow;
}

/**
 * Site load management: shares `settings.site.maxGridPowerKw` between the running transactions
 * (see allocatePower), enforces the shares with one TxProfile per transaction, and keeps a
 * fail-safe ChargePointMaxProfile + TxDefaultProfile on every charger (see failSafeLimits).
 *
 * Reconciliation: every trigger (start, stop, site setting change, charger boot or reconnect,
 * retry timer) asks for a pass; passes run one at a time and coalesce. A pass reads the state
 * from the database, computes the desired profiles, and sends only what differs from the
 * ChargingProfile table (or what a boot/reconnect/retry asks for) — lowered limits first, then
 * raised ones, so that the site stays under its limit while the profiles change. Failed sends
 * (Rejected, NotSupported, CALLERROR, timeout) are logged and retried with exponential backoff,
 * a bounded number of times; offline chargers are caught up when they reconnect.
 *
 * The desired profiles come from the pure planner `planDesiredProfiles` (load-management-plan.ts);
 * operators' charging profiles (TC_056/057/066/067) are sent by ChargingProfileCommands
 * (charging-profile-commands.ts), to which the public methods below delegate.
 */
/** A running session as a session advisor sees it. */
export interface AdvisedSession {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  startedAt: Date;
}

/**
 * Advised upper limits (kW) per transactionId for running sessions, e.g. from the ML plugin: the
 * power a session needs to get its expected energy before its expected departure. Consulted on
 * every pass; a throw, a timeout (2 s) or a missing entry means "no advice" for that session.
 */
export type SessionAdvisor = (sessions: readonly AdvisedSession[]) => ReadonlyMap<number, number> | Promise<ReadonlyMap<number, number>>;

const ADVISOR_TIMEOUT_MS = 2000;
const PASS_DELAY_MS = 50;

export class LoadManagementService {
  readonly #deps: LoadManagementServiceDeps;
  #advisor: { name: string; advise: SessionAdvisor } | null = null;
  readonly #retry: RetryPolicy;
  readonly #log: Logger;
  readonly #retries = new Map<string, RetryState>();
  /** The pending retry timer of each key of `#retries`. */
  readonly #retryTimers = new KeyedTimers<string>();
  readonly #profiles: ChargingProfileCommands;
  readonly #force = new Map<string, ReconcileReason>();
  #dirty = false;
  #running: Promise<void> | undefined;
  #closed = false;
  #last: { siteLimitKw: number | null; result: AllocationResult | null; failSafe: Map<string, FailSafeLimit> } = {
    siteLimitKw: null,
    result: null,
    failSafe: new Map(),
  };

  constructor(deps: LoadManagementServiceDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'load-management' });
    this.#retry = {
      attempts: deps.retry?.attempts ?? 5,
      baseDelayMs: deps.retry?.baseDelayMs ?? deps.config.ocpp.callTimeoutMs,
      maxDelayMs: deps.retry?.maxDelayMs ?? 300_000,
    };
    this.#profiles = new ChargingProfileCommands(deps, (chargePointId) => {
      for (const key of [...this.#retries.keys()].filter((k) => k.startsWith(`${chargePointId}\u0000`))) this.#resetRetry(key);
      void this.request();
    });
  }

  /**
   * Asks for a reconciliation pass (for `chargePointId` with `reason`, when given) and resolves
   * when a pass that started after this call has finished. Never rejects.
   */
  request(chargePointId?: string, reason?: ReconcileReason): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (chargePointId && reason && this.#force.get(chargePointId) !== 'boot') this.#force.set(chargePointId, reason);
    this.#dirty = true;
    this.#running ??= this.#loop();
    return this.#running;
  }

  /**
   * Lets a plugin advise per-session upper limits (extension point; off until an operator enables
   * it in the plugin that calls this, e.g. `ml({ applyAdviceToLoadManagement: true })`). The site
   * limit, charger maximums and the per-session minimum still rule; an advised session never gets
   * more than its advice, and what it leaves goes to the others. `null` removes the advisor.
   */
  setSessionAdvisor(name: string, advise: SessionAdvisor | null): void {
    this.#advisor = advise ? { name, advise } : null;
    void this.request();
  }

  /** The advisor's caps for the running sessions (empty on no advisor, error or timeout). */
  async #advice(active: readonly { id: number; chargePoint: string; connectorId: number; idTag: string; startReceivedAt: Date; startTimestamp: Date }[]): Promise<ReadonlyMap<number, number>> {
    const advisor = this.#advisor;
    if (!advisor || active.length === 0) return new Map();
    try {
      const sessions = active.map((tx) => ({ transactionId: tx.id, chargePointId: tx.chargePoint, connectorId: tx.connectorId, idTag: tx.idTag, startedAt: tx.startTimestamp }));
      const advice = await withTimeout(() => advisor.advise(sessions), ADVISOR_TIMEOUT_MS);
      if (advice === TIMED_OUT) throw new Error(`no answer within ${ADVISOR_TIMEOUT_MS} ms`);
      return advice;
    } catch (err) {
      this.#log.warn({ err, advisor: advisor.name }, 'session advisor failed; allocating without advice');
      return new Map();
    }
  }

  /** Recomputes and enforces the allocation now (e.g. after a charger's maxPowerKw was edited). */
  rebalance(): Promise<void> {
    return this.request();
  }

  /** Resolves when no pass is running or asked for (retry timers that have not fired yet aside). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** The allocation of the last pass, with the current state of each profile. */
  async status(): Promise<LoadManagementStatus> {
    const { siteLimitKw, result, failSafe } = this.#last;
    if (siteLimitKw === null) return { siteLimitKw: null, allocatedKw: 0, allocations: [], failSafe: [] };
    const rows = await this.#deps.orm.em
      .fork()
      .find(ChargingProfileSchema, { chargingProfileId: { $gte: LOAD_MANAGEMENT_ID_BASE }, status: { $ne: 'Cleared' } });
    const statusOf = (chargePointId: string, id: number): ProfileStatus | 'NotSent' =>
      (rows.find((r) => r.chargePoint === chargePointId && r.chargingProfileId === id)?.status as ProfileStatus | undefined) ?? 'NotSent';
    const allocations = (result?.allocations ?? []).map((a) => ({
      chargePointId: a.chargePointId,
      connectorId: a.connectorId,
      transactionId: a.transactionId,
      limitKw: a.limitKw,
      reason: a.reason,
      profileStatus: statusOf(a.chargePointId, txProfileId(a.transactionId)),
    }));
    return {
      siteLimitKw,
      allocatedKw: (result?.allocatedW ?? 0) / 1000,
      allocations,
      failSafe: [...failSafe].map(([chargePointId, f]) => ({
        chargePointId,
        chargePointMaxKw: f.chargePointMaxW / 1000,
        txDefaultKw: f.txDefaultW / 1000,
        chargePointMaxStatus: statusOf(chargePointId, CHARGE_POINT_MAX_PROFILE_ID),
        txDefaultStatus: statusOf(chargePointId, TX_DEFAULT_PROFILE_ID),
      })),
    };
  }

  /** Stops retry timers and waits for the pass in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#retryTimers.clear();
    this.#retries.clear();
    await this.settled();
  }

  // ---------------------------------------------------------------- operator profiles (see ChargingProfileCommands)

  /** See ChargingProfileCommands.setChargingProfile. */
  setChargingProfile(
    chargePointId: string,
    connectorId: number,
    profile: ChargingProfile,
    actor = 'system',
  ): Promise<{ status: 'Accepted' | 'Rejected' | 'NotSupported'; profile: StoredChargingProfile }> {
    return this.#profiles.setChargingProfile(chargePointId, connectorId, profile, actor);
  }

  /** See ChargingProfileCommands.clearChargingProfile. */
  clearChargingProfile(chargePointId: string, filter: ClearChargingProfileFilter = {}, actor = 'system'): Promise<{ status: 'Accepted' | 'Unknown'; cleared: number }> {
    return this.#profiles.clearChargingProfile(chargePointId, filter, actor);
  }

  /** GetCompositeSchedule pass-through (TC_066). */
  getCompositeSchedule(
    chargePointId: string,
    request: CentralSystemActions['GetCompositeSchedule']['request'],
    actor = 'system',
  ): Promise<CentralSystemActions['GetCompositeSchedule']['response']> {
    return this.#profiles.getCompositeSchedule(chargePointId, request, actor);
  }

  /** Stored profiles, newest first; Cleared ones only with `includeCleared`. */
  profiles(query: { chargePointId?: string; includeCleared?: boolean } = {}): Promise<StoredChargingProfile[]> {
    return this.#profiles.profiles(query);
  }

  // ---------------------------------------------------------------- reconciliation

  async #loop(): Promise<void> {
    // Reset in the same synchronous step as the last `dirty` check, so that no request falls between.
    try {
      // Requests arriving meanwhile join this pass (they find `#running` set).
      const delayMs = this.#deps.passDelayMs ?? PASS_DELAY_MS;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      while (this.#dirty && !this.#closed) {
        this.#dirty = false;
        const force = new Map(this.#force);
        this.#force.clear();
        try {
          await this.#pass(force);
        } catch (err) {
          this.#log.error({ err }, 'load management pass failed; it runs again at the next event');
        }
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #pass(force: Map<string, ReconcileReason>): Promise<void> {
    const { orm, settings, sessions, clock } = this.#deps;
    const site = await settings.get('site');
    const em = orm.em.fork();
    const rows = await em.find(ChargingProfileSchema, { chargingProfileId: { $gte: LOAD_MANAGEMENT_ID_BASE }, status: { $ne: 'Cleared' } });
    if (site.maxGridPowerKw === null && rows.length === 0) {
      // Not in use (the default) and nothing of ours to clear: no need to read every charge point.
      this.#last = { siteLimitKw: null, result: null, failSafe: new Map() };
      return;
    }
    const chargePoints = await em.find(ChargePointSchema, {});
    const active = await em.find(TransactionSchema, { status: 'Active' }, { orderBy: { id: 'asc' } });
    const activeIds = new Set(active.map((t) => t.id));
    const rowByKey = new Map(rows.filter((r) => r.chargePoint !== null).map((r) => [keyOf(r.chargePoint!, r.chargingProfileId), r]));
    const reachable = (id: string) => sessions.get(id)?.registrationStatus === 'Accepted';

    // Desired state (see planDesiredProfiles).
    const known = new Set(chargePoints.map((cp) => cp.id));
    const advice = site.maxGridPowerKw !== null ? await this.#advice(active.filter((tx) => known.has(tx.chargePoint))) : new Map<number, number>();
    const { desired, result, failSafe } = planDesiredProfiles({ site, chargePoints, active, rowByKey, reachable, advice, now: clock.now() });
    this.#last = { siteLimitKw: site.maxGridPowerKw, result, failSafe };

    // What to send.
    const operations: Operation[] = [];
    const endedWithTransaction: ChargingProfileRow[] = [];
    const inForceOf = (row: ChargingProfileRow | undefined): number =>
      row?.status === 'Accepted' ? (singleLimitW(row.schedule) ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
    for (const d of [...desired.values()].sort(byProfileOrder)) {
      if (!reachable(d.chargePointId)) continue;
      const row = rowByKey.get(d.key);
      const reason = force.get(d.chargePointId);
      const changed = !row || singleLimitW(row.schedule) !== d.limitW;
      if (changed || this.#retries.get(d.key)?.target !== d.limitW) this.#resetRetry(d.key);
      if (reason && (row?.status !== 'Accepted' || (reason === 'boot' && d.failSafe))) this.#resetRetry(d.key);
      const send = changed || (reason === 'boot' && d.failSafe) || (row!.status !== 'Accepted' && this.#isDue(d.key));
      if (!send) continue;
      // A new TxProfile replaces the TxDefaultProfile limit the session started with.
      const current = d.profile.chargingProfilePurpose === 'TxProfile' && !row ? inForceOf(rowByKey.get(keyOf(d.chargePointId, TX_DEFAULT_PROFILE_ID))) : inForceOf(row);
      operations.push({ key: d.key, chargePointId: d.chargePointId, decrease: d.limitW < current, set: d });
    }
    for (const [key, row] of rowByKey) {
      if (desired.has(key)) continue;
      if (row.purpose === 'TxProfile' && (row.transactionId == null || !activeIds.has(row.transactionId))) {
        endedWithTransaction.push(row);
        continue;
      }
      if (!reachable(row.chargePoint!)) continue;
      if (this.#retries.get(key)?.target !== null) this.#resetRetry(key);
      if (force.has(row.chargePoint!)) this.#resetRetry(key);
      if (this.#isDue(key)) operations.push({ key, chargePointId: row.chargePoint!, decrease: false, clear: row });
    }

    if (endedWithTransaction.length > 0) {
      // The charger drops a TxProfile when its transaction ends (S16 §3.13.2): nothing to send.
      await this.#deps.batcher.run(async (wem) => {
        await wem.nativeUpdate(ChargingProfileSchema, { id: { $in: endedWithTransaction.map((r) => r.id) } }, { status: 'Cleared' });
      });
      for (const r of endedWithTransaction) this.#resetRetry(keyOf(r.chargePoint!, r.chargingProfileId));
    }

    // Lowered limits first, so that the sum stays under the site limit while profiles change.
    await this.#run(operations.filter((o) => o.decrease));
    await this.#run(operations.filter((o) => !o.decrease));
  }

  /** Runs operations: charge points in parallel, one charge point's operations in order. */
  async #run(operations: Operation[]): Promise<void> {
    const byChargePoint = new Map<string, Operation[]>();
    for (const op of operations) byChargePoint.set(op.chargePointId, [...(byChargePoint.get(op.chargePointId) ?? []), op]);
    await Promise.all(
      [...byChargePoint.values()].map(async (ops) => {
        let unreachable = false;
        for (const op of ops) {
          if (this.#closed) return;
          if (unreachable) {
            // The charger just timed out or went away: try this one with the next retry instead.
            this.#failed(op, 'skipped after the charger failed to answer', false);
            continue;
          }
          unreachable = await this.#execute(op);
        }
      }),
    );
  }

  /** Sends one operation; true when the charger is unreachable (timeout, offline). */
  async #execute(op: Operation): Promise<boolean> {
    const { commands, batcher } = this.#deps;
    const isSet = op.set !== undefined;
    try {
      if (op.set) {
        const d = op.set;
        await batcher.run(async (em) => {
          const row = await em.findOne(ChargingProfileSchema, { chargePoint: d.chargePointId, chargingProfileId: d.profile.chargingProfileId }, { orderBy: { id: 'desc' } });
          const fields = rowFields(d.chargePointId, d.connectorId, d.profile, 'Pending');
          if (row) em.assign(row, fields);
          else em.create(ChargingProfileSchema, fields);
        });
        const { status } = await commands.send(d.chargePointId, 'SetChargingProfile', { connectorId: d.connectorId, csChargingProfiles: d.profile }, { actor: ACTOR });
        await this.#setStatus(d.chargePointId, d.profile.chargingProfileId, status);
        if (status === 'Accepted') {
          this.#resetRetry(op.key);
          this.#log.debug({ chargePointId: d.chargePointId, chargingProfileId: d.profile.chargingProfileId, limitW: d.limitW }, 'charging profile accepted');
        } else {
          this.#failed(op, `answered ${status}`, true);
        }
      } else {
        const row = op.clear!;
        const { status } = await commands.send(row.chargePoint!, 'ClearChargingProfile', { id: row.chargingProfileId }, { actor: ACTOR });
        // Unknown: the charger does not have it (any more); either way it is not in force.
        await this.#setStatus(row.chargePoint!, row.chargingProfileId, 'Cleared');
        this.#resetRetry(op.key);
        this.#log.debug({ chargePointId: row.chargePoint, chargingProfileId: row.chargingProfileId, status }, 'charging profile cleared');
      }
      return false;
    } catch (err) {
      if (isCsmsError(err, CsmsErrorCode.CLOSED) || this.#closed) return true;
      if (isCsmsError(err, CsmsErrorCode.CHARGE_POINT_OFFLINE)) {
        // Caught up when the charger reconnects (no timer: nothing can reach it meanwhile).
        this.#park(op.key, isSet ? op.set!.limitW : null);
        this.#log.info({ chargePointId: op.chargePointId, key: op.key }, 'charger offline; its profile is sent when it reconnects');
        return true;
      }
      this.#failed(op, (err as Error).message, true);
      return isCsmsError(err, CsmsErrorCode.CALL_TIMEOUT);
    }
  }

  async #setStatus(chargePointId: string, chargingProfileId: number, status: string): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      await em.nativeUpdate(ChargingProfileSchema, { chargePoint: chargePointId, chargingProfileId, status: { $ne: 'Cleared' } }, { status });
    });
  }

  #failed(op: Operation, why: string, counted: boolean): void {
    if (this.#closed) return;
    const target = op.set ? op.set.limitW : null;
    const state = this.#stateFor(op.key, target);
    if (counted) state.attempts += 1;
    const what = op.set ? `SetChargingProfile ${op.set.profile.chargingProfilePurpose} (${op.set.limitW} W)` : 'ClearChargingProfile';
    const context = { chargePointId: op.chargePointId, chargingProfileId: op.set?.profile.chargingProfileId ?? op.clear?.chargingProfileId, attempt: state.attempts, of: this.#retry.attempts, reason: why };
    if (state.attempts >= this.#retry.attempts) {
      state.parked = true;
      this.#log.error(context, `${what} failed ${state.attempts} times; giving up until the charger reconnects or the allocation changes`);
      return;
    }
    const delay = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** Math.max(0, state.attempts - 1));
    this.#log.warn({ ...context, retryInMs: delay }, `${what} failed; retrying`);
    this.#retryTimers.set(op.key, delay, () => {
      state.due = true;
      void this.request();
    });
  }

  #park(key: string, target: number | null): void {
    const state = this.#stateFor(key, target);
    this.#retryTimers.delete(key);
    state.parked = true;
  }

  #stateFor(key: string, target: number | null): RetryState {
    let state = this.#retries.get(key);
    if (!state || state.target !== target) {
      if (state) this.#retryTimers.delete(key);
      state = { target, attempts: 0, due: false, parked: false };
      this.#retries.set(key, state);
    }
    state.due = false;
    return state;
  }

  #isDue(key: string): boolean {
    const state = this.#retries.get(key);
    if (!state) return true;
    return state.due && !state.parked && !this.#retryTimers.has(key);
  }

  #resetRetry(key: string): void {
    const state = this.#retries.get(key);
    if (!state) return;
    this.#retryTimers.delete(key);
    this.#retries.delete(key);
  }
}

