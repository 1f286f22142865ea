import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { MessageTrigger } from '../../ocpp/v16/central-system-messages.js';
import type { Sessions } from '../../ocpp/sessions.js';
import { ConnectorSchema, TransactionSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { KeyedTimers } from '../../kernel/keyed-timers.js';
import type { LoadGauge } from '../../kernel/load-gauge.js';

export interface HealingOptions {
  /** Heal at all (default true). */
  enabled: boolean;
  /**
   * Wait after a status before checking it against the transactions (default 15 s): chargers may
   * report Charging just before their StartTransaction, or Available just before a queued
   * StopTransaction; only a mismatch that outlasts the wait is acted on.
   */
  delayMs: number;
  /** At most one healing action per connector and problem in this time (default 10 min), so triggers never loop. */
  minIntervalMs: number;
}

export const DEFAULT_HEALING_OPTIONS: Readonly<HealingOptions> = Object.freeze({ enabled: true, delayMs: 15_000, minIntervalMs: 600_000 });

export type HealingProblem = 'charging-without-transaction' | 'connector-available-while-active';

/** Flag put on a transaction whose connector reports Available while it is still Active. */
export const CONNECTOR_AVAILABLE_WHILE_ACTIVE = 'connector-available-while-active';

export interface HealingAction {
  at: Date;
  chargePointId: string;
  connectorId: number;
  problem: HealingProblem;
  /** Status the connector reported. */
  connectorStatus: string;
  /** Active transactions flagged (connector-available-while-active). */
  transactionIds: number[];
  /** TriggerMessage calls sent and their answers ('Accepted', 'Rejected', 'NotImplemented', or the error code). */
  triggered: Array<{ requestedMessage: MessageTrigger; result: string }>;
}

export interface HealingServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  commands: CommandService;
  sessions: Sessions;
  clock: Clock;
  log: Logger;
  /** Checks wait while the process is busy (a reconnect storm schedules one per connector). */
  load?: Pick<LoadGauge, 'calm'>;
}

const ACTOR = 'system:healing';
const CHARGING = new Set(['Charging', 'SuspendedEV', 'SuspendedEVSE']);
const KEEP_ACTIONS = 100;
/** Connectors checked with one pair of queries (a chunk takes whole charge points, so it may hold a few more). */
const CHECK_CHUNK = 200;

interface Target {
  chargePointId: string;
  connectorId: number;
}

/**
 * Heals disagreements between what connectors report and the transactions the CSMS holds, using
 * TriggerMessage (OCPP 1.6 §5.17):
 * - a connector Charging/SuspendedEV/SuspendedEVSE without an Active transaction (CSMS data loss, a
 *   lost StartTransaction): TriggerMessage MeterValues (the charger's answer names the transaction
 *   it thinks it runs; unknown ones are kept as orphans for review) and StatusNotification;
 * - an Active transaction on a connector reported Available (a lost StopTransaction): the
 *   transaction is flagged `connector-available-while-active` for the operator and
 *   TriggerMessage StatusNotification asks the charger to confirm.
 * Each is checked `delayMs` after the status (re-read from the database then), at most once per
 * connector and problem per `minIntervalMs`. Nothing is closed or invented automatically.
 *
 * The checks that come due together are made together (two queries per 200 connectors), when the
 * process is not busy (`LoadGauge.calm()`): a reconnect storm schedules one check per connector.
 */
export class HealingService {
  readonly #deps: HealingServiceDeps;
  #options: HealingOptions;
  /** Pending checks per charge point, by connector: a disconnect forgets its own without looking at the others'. */
  readonly #timers = new Map<string, KeyedTimers<number>>();
  readonly #lastAction = new Map<string, number>();
  readonly #actions: HealingAction[] = [];
  readonly #running = new Set<Promise<unknown>>();
  /** Connectors whose delay is over, by charge point, waiting for the drain. */
  readonly #due = new Map<string, Set<number>>();
  #draining = false;
  #closed = false;

  constructor(deps: HealingServiceDeps, options: Partial<HealingOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_HEALING_OPTIONS, ...options };
  }

  get options(): Readonly<HealingOptions> {
    return this.#options;
  }

  configure(options: Partial<HealingOptions>): void {
    this.#options = { ...this.#options, ...options };
  }

  /** Healing actions taken since start, newest last (the last 100). */
  actions(): HealingAction[] {
    return this.#actions.map((a) => ({ ...a, transactionIds: [...a.transactionIds], triggered: [...a.triggered] }));
  }

  /** Schedules the check of one connector after a StatusNotification (debounced per connector). */
  statusReported(chargePointId: string, connectorId: number, status: string): void {
    if (!this.#options.enabled || this.#closed || connectorId <= 0) return;
    if (!CHARGING.has(status) && status !== 'Available') return;
    let timers = this.#timers.get(chargePointId);
    if (!timers) this.#timers.set(chargePointId, (timers = new KeyedTimers<number>()));
    timers.set(connectorId, this.#options.delayMs, () => {
      let due = this.#due.get(chargePointId);
      if (!due) this.#due.set(chargePointId, (due = new Set()));
      due.add(connectorId);
      if (!this.#draining) this.#track(this.#drain());
    });
  }

  /** Forgets the pending checks of a charge point that disconnected. */
  forget(chargePointId: string): void {
    this.#timers.get(chargePointId)?.clear();
    this.#timers.delete(chargePointId);
    this.#due.delete(chargePointId);
  }

  /**
   * Checks one connector now against the Active transactions and heals what disagrees (see the
   * class comment). Returns the action taken, or null. Never throws: failures are logged.
   */
  async check(chargePointId: string, connectorId: number): Promise<HealingAction | null> {
    return (await this.#checkAll([{ chargePointId, connectorId }]))[0] ?? null;
  }

  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timers of this.#timers.values()) timers.clear();
    this.#timers.clear();
    this.#due.clear();
    await this.idle();
  }

  /** Checks the due connectors, a chunk at a time, each chunk when the process is calm. */
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#due.size > 0 && !this.#closed) {
        await this.#deps.load?.calm();
        const chunk: Target[] = [];
        for (const [chargePointId, connectors] of this.#due) {
          if (chunk.length >= CHECK_CHUNK) break;
          this.#due.delete(chargePointId);
          for (const connectorId of connectors) chunk.push({ chargePointId, connectorId });
        }
        if (!this.#closed) await this.#checkAll(chunk);
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The action taken per target (null: consistent, offline, or failed; failures are logged). Never throws. */
  async #checkAll(targets: Target[]): Promise<Array<HealingAction | null>> {
    const online = new Set(targets.map((t) => t.chargePointId).filter((id) => this.#deps.sessions.get(id)?.registrationStatus === 'Accepted'));
    if (online.size === 0) return targets.map(() => null);
    const key = (chargePointId: string, connectorId: number) => `${chargePointId}\u0000${connectorId}`;
    const statuses = new Map<string, string>();
    const active = new Map<string, number[]>();
    try {
      const em = this.#deps.orm.em.fork();
      const ids = [...online];
      for (const connector of await em.find(ConnectorSchema, { chargePoint: { $in: ids } }, { fields: ['chargePoint', 'connectorId', 'status'] })) {
        if (connector.status) statuses.set(key(connector.chargePoint as unknown as string, connector.connectorId), connector.status);
      }
      const open = await em.find(TransactionSchema, { chargePoint: { $in: ids }, status: 'Active' }, { fields: ['id', 'chargePoint', 'connectorId'], orderBy: { id: 'asc' } });
      for (const tx of open) {
        const k = key(tx.chargePoint as unknown as string, tx.connectorId);
        active.set(k, [...(active.get(k) ?? []), tx.id]);
      }
    } catch (err) {
      this.#deps.log.error({ err, chargePoints: online.size }, 'healing check failed');
      return targets.map(() => null);
    }
    return Promise.all(
      targets.map(async ({ chargePointId, connectorId }) => {
        const status = statuses.get(key(chargePointId, connectorId));
        if (!online.has(chargePointId) || !status) return null;
        try {
          return await this.#heal(chargePointId, connectorId, status, active.get(key(chargePointId, connectorId)) ?? []);
        } catch (err) {
          this.#deps.log.error({ err, chargePointId, connectorId }, 'healing check failed');
          return null;
        }
      }),
    );
  }

  /** Acts on one connector whose status and Active transactions were just read. */
  async #heal(chargePointId: string, connectorId: number, status: string, activeIds: number[]): Promise<HealingAction | null> {
    let problem: HealingProblem;
    let triggers: MessageTrigger[];
    if (CHARGING.has(status) && activeIds.length === 0) {
      problem = 'charging-without-transaction';
      triggers = ['MeterValues', 'StatusNotification'];
    } else if (status === 'Available' && activeIds.length > 0) {
      problem = 'connector-available-while-active';
      triggers = ['StatusNotification'];
    } else {
      return null;
    }

    const now = this.#deps.clock.now();
    const key = `${chargePointId}\u0000${connectorId}\u0000${problem}`;
    const last = this.#lastAction.get(key);
    if (last !== undefined && now.getTime() - last < this.#options.minIntervalMs) {
      this.#deps.log.debug({ chargePointId, connectorId, problem }, 'healing skipped: acted on this connector recently');
      return null;
    }
    this.#lastAction.set(key, now.getTime());

    const action: HealingAction = { at: now, chargePointId, connectorId, problem, connectorStatus: status, transactionIds: activeIds, triggered: [] };
    if (problem === 'connector-available-while-active') await this.#flag(action.transactionIds);
    this.#deps.log.warn({ chargePointId, connectorId, problem, connectorStatus: status, transactionIds: action.transactionIds }, 'connector state disagrees with the transactions; healing');
    for (const requestedMessage of triggers) {
      try {
        const answer = await this.#deps.commands.send(chargePointId, 'TriggerMessage', { requestedMessage, connectorId }, { actor: ACTOR });
        action.triggered.push({ requestedMessage, result: answer.status });
      } catch (err) {
        action.triggered.push({ requestedMessage, result: (err as { code?: string }).code ?? 'Error' });
      }
    }
    this.#actions.push(action);
    if (this.#actions.length > KEEP_ACTIONS) this.#actions.splice(0, this.#actions.length - KEEP_ACTIONS);
    return action;
  }

  async #flag(transactionIds: number[]): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      const rows = await em.find(TransactionSchema, { id: { $in: transactionIds } });
      for (const tx of rows) {
        if (!(tx.flags ?? []).includes(CONNECTOR_AVAILABLE_WHILE_ACTIVE)) tx.flags = [...(tx.flags ?? []), CONNECTOR_AVAILABLE_WHILE_ACTIVE];
      }
    });
  }

  #track(promise: Promise<unknown>): void {
    const p = promise.catch(() => undefined);
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }
}
