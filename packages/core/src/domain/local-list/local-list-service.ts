import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { Sessions } from '../../ocpp/sessions.js';
import { AuditLogSchema, IdTagSchema, LocalAuthListSchema, type LocalAuthList } from '../../persistence/entities/index.js';
import type { CentralSystemActions } from '../../ocpp/v16/central-system-messages.js';

type SendLocalListRequest = CentralSystemActions['SendLocalList']['request'];
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { desiredEntries, planLocalListUpdate, type LocalListEntries } from './local-list-plan.js';
import { KeyedTimers } from '../../kernel/keyed-timers.js';
import type { LoadGauge } from '../../kernel/load-gauge.js';

export interface LocalListOptions {
  /** Sync automatically after a charge point connects or boots, and after `markDirty()` (default true). */
  autoSync: boolean;
  /** Wait after a connect/boot before the automatic sync, so the boot burst (status, transactions) goes first (default 10 s). */
  syncDelayMs: number;
  /** Wait after `markDirty()` before every connected charge point is synced; more changes in that time share one sync (default 2 s). */
  dirtyDelayMs: number;
  /** Entries per SendLocalList when the charge point does not report SendLocalListMaxLength (default 250). */
  defaultChunkSize: number;
  /**
   * Charge points synced at once (default 8): by `syncAll`, and by the automatic syncs after a
   * connect or boot, which wait in a queue so that a reconnect storm's thousands of syncs do not all
   * start together 10 s into it.
   */
  concurrency: number;
  /** How long the list built from the IdTag table is reused between syncs (default 30 s; `markDirty()` drops it at once). */
  cacheTtlMs: number;
}

export const DEFAULT_LOCAL_LIST_OPTIONS: Readonly<LocalListOptions> = Object.freeze({
  autoSync: true,
  syncDelayMs: 10_000,
  dirtyDelayMs: 2_000,
  defaultChunkSize: 250,
  concurrency: 8,
  cacheTtlMs: 30_000,
});

export type LocalListSyncOutcome = 'Accepted' | 'UpToDate' | 'Failed' | 'NotSupported' | 'VersionMismatch';

export interface LocalListSyncResult {
  chargePointId: string;
  /** Accepted: sent and applied; UpToDate: nothing to send; the rest: the charge point's refusal (stored). */
  outcome: LocalListSyncOutcome;
  /** Type of the first SendLocalList sent (Full, or Differential); null when nothing was sent. */
  updateType: 'Full' | 'Differential' | null;
  /** The version the charge point reported in GetLocalListVersion; null when it does not support local lists. */
  chargePointVersion: number | null;
  /** Our list version for this charge point after the sync. */
  version: number;
  /** SendLocalList calls made. */
  calls: number;
  /** Entries sent over all calls (Full: the list; Differential: changes and removals). */
  entriesSent: number;
  /** Entries the charge point holds now, as far as we know. */
  entries: number;
  /** Tags left out because the IdTag table is longer than the charge point's LocalAuthListMaxLength. */
  truncated: number;
}

export interface LocalListState {
  chargePointId: string;
  version: number;
  /** Last outcome: 'Accepted' | 'Failed' | 'NotSupported' | 'VersionMismatch'. */
  status: string;
  syncedAt: Date | null;
  /** What the charge point holds after the last accepted update (idTag → idTagInfo). */
  entries: LocalListEntries;
  /** False: this charge point is synced only on demand (set by `setAutoSync`, or by a manual `send`). */
  autoSync: boolean;
}

export interface LocalListSyncAllEntry {
  chargePointId: string;
  result: LocalListSyncResult | null;
  error: { code: string; message: string } | null;
}

export interface LocalListServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  commands: CommandService;
  sessions: Sessions;
  clock: Clock;
  log: Logger;
  /** Automatic syncs wait while the process is busy (a reconnect storm schedules one per charger). */
  load?: Pick<LoadGauge, 'calm'>;
}

interface ChargePointLimits {
  /** SendLocalListMaxLength: entries per SendLocalList. */
  sendMax: number | null;
  /** LocalAuthListMaxLength: entries in the list. */
  listMax: number | null;
}

const SYSTEM_ACTOR = 'system:local-list';

/**
 * Keeps each charge point's local authorisation list (OCPP 1.6 §3.5, §5.10, §5.15) in sync with the
 * IdTag table. Per charge point the `local_auth_list` row records our list version, the last
 * outcome, when it was synced, and what the charge point holds, so that later syncs send only the
 * changes.
 *
 * A sync asks GetLocalListVersion first. Full update when we never synced, the last update was not
 * Accepted, the charge point's version differs from ours (it lost or replaced its list), or `full`
 * is asked; otherwise a Differential update with the changed and removed tags, version + 1. A
 * Differential answered VersionMismatch is retried once as Full. GetLocalListVersion answered −1 or
 * a NotSupported/NotImplemented CALLERROR means "no local list" (TC_042_1): stored, nothing sent.
 * Syncs of one charge point never overlap.
 */
export class LocalListService {
  readonly #deps: LocalListServiceDeps;
  #options: LocalListOptions;
  /** One sync chain per charge point (their calls are serialised anyway; this keeps the row updates ordered). */
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #timers = new KeyedTimers<string>();
  #dirtyTimer: NodeJS.Timeout | undefined;
  /** Configuration limits read once per connection. */
  readonly #limits = new Map<string, ChargePointLimits>();
  #desired: { entries: LocalListEntries; at: number } | undefined;
  readonly #running = new Set<Promise<unknown>>();
  /** Charge points whose automatic sync is due, oldest first, and the workers taking them. */
  readonly #autoQueue = new Set<string>();
  #autoWorkers = 0;
  #closed = false;

  constructor(deps: LocalListServiceDeps, options: Partial<LocalListOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_LOCAL_LIST_OPTIONS, ...options };
  }

  get options(): Readonly<LocalListOptions> {
    return this.#options;
  }

  /** Changes options at run time (e.g. shorter delays in tests, or `autoSync: false`). */
  configure(options: Partial<LocalListOptions>): void {
    this.#options = { ...this.#options, ...options };
  }

  /**
   * Brings one charge point's local list in line with the IdTag table (see the class comment).
   * Throws the command's CsmsError when the charge point is offline, times out, or answers a
   * CALLERROR other than NotSupported/NotImplemented to GetLocalListVersion.
   */
  sync(chargePointId: string, options: { actor?: string; full?: boolean } = {}): Promise<LocalListSyncResult> {
    return this.#chained(chargePointId, () => this.#sync(chargePointId, options.actor ?? SYSTEM_ACTOR, options.full ?? false));
  }

  /** Runs `work` after every sync of the charge point queued before it (one at a time per charge point). */
  #chained<T>(chargePointId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(chargePointId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.#chains.set(chargePointId, run);
    this.#track(run);
    void run.finally(() => {
      if (this.#chains.get(chargePointId) === run) this.#chains.delete(chargePointId);
    }).catch(() => undefined);
    return run;
  }

  /** Syncs every connected charge point whose boot is Accepted (a few at a time); never throws per charge point. */
  async syncAll(actor: string = SYSTEM_ACTOR, options: { full?: boolean; automatic?: boolean } = {}): Promise<LocalListSyncAllEntry[]> {
    let ids = this.#deps.sessions
      .all()
      .filter((s) => s.registrationStatus === 'Accepted')
      .map((s) => s.chargePointId);
    if (options.automatic && ids.length > 0) {
      // The automatic sync after IdTag changes skips the charge points whose automatic sync is off.
      const off = await this.#deps.orm.em.fork().find(LocalAuthListSchema, { chargePoint: { $in: ids }, autoSync: false }, { fields: ['chargePoint'] });
      const skip = new Set(off.map((r) => r.chargePoint as unknown as string));
      ids = ids.filter((id) => !skip.has(id));
    }
    const results: LocalListSyncAllEntry[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const chargePointId = ids[next++]!;
        try {
          results.push({ chargePointId, result: await this.sync(chargePointId, { actor, full: options.full ?? false }), error: null });
        } catch (err) {
          const code = isCsmsError(err) ? err.code : 'UNKNOWN';
          results.push({ chargePointId, result: null, error: { code, message: (err as Error).message } });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, ids.length) }, worker));
    return results.sort((a, b) => (a.chargePointId < b.chargePointId ? -1 : 1));
  }

  /**
   * Tells the service the IdTag table changed (the local list plugin calls it on `onIdTagsChanged`): the cached
   * list is dropped and, with autoSync, every connected charge point is synced after `dirtyDelayMs`.
   */
  markDirty(): void {
    this.#desired = undefined;
    if (!this.#options.autoSync || this.#closed) return;
    clearTimeout(this.#dirtyTimer);
    this.#dirtyTimer = setTimeout(() => {
      this.#dirtyTimer = undefined;
      this.#track(this.syncAll(SYSTEM_ACTOR, { automatic: true }).then((entries) => this.#logFailures(entries)));
    }, this.#options.dirtyDelayMs);
    this.#dirtyTimer.unref();
  }

  /** Sends ClearCache (the charge point's authorisation cache; the local list stays). */
  async clearCache(chargePointId: string, actor: string = SYSTEM_ACTOR): Promise<{ status: 'Accepted' | 'Rejected' }> {
    return this.#deps.commands.send(chargePointId, 'ClearCache', {}, { actor });
  }

  /** The stored local list state of one charge point; null when it was never synced. */
  async state(chargePointId: string): Promise<LocalListState | null> {
    const row = await this.#deps.orm.em.fork().findOne(LocalAuthListSchema, { chargePoint: chargePointId });
    if (!row) return null;
    return {
      chargePointId,
      version: row.version,
      status: row.status,
      syncedAt: row.syncedAt ?? null,
      entries: (row.entries as LocalListEntries | null) ?? {},
      autoSync: row.autoSync ?? true,
    };
  }

  /**
   * Turns the automatic sync of one charge point on or off (stored; audited `SetLocalListAutoSync`).
   * Off: no sync after its boot or after IdTag changes; `sync()` and `send()` still work. On again:
   * the next automatic sync brings it in line with the IdTag table.
   */
  async setAutoSync(chargePointId: string, enabled: boolean, actor: string = SYSTEM_ACTOR): Promise<LocalListState> {
    await this.#deps.batcher.run(async (em) => {
      const row = await em.findOne(LocalAuthListSchema, { chargePoint: chargePointId });
      if (row) row.autoSync = enabled;
      else em.create(LocalAuthListSchema, { chargePoint: chargePointId, version: 0, status: 'Pending', syncedAt: null, entries: null, autoSync: enabled });
      em.create(AuditLogSchema, { at: this.#deps.clock.now(), actor, action: 'SetLocalListAutoSync', chargePoint: chargePointId, request: { enabled }, result: null, outcome: 'ok' });
    });
    if (!enabled) this.forget(chargePointId, { keepLimits: true });
    return (await this.state(chargePointId))!;
  }

  /**
   * A SendLocalList an operator composed (REST `commands/SendLocalList` goes here), in line with this
   * service's own syncs of that charge point. On Accepted the stored version and entries follow it
   * (Full: the list sent; Differential: applied to what the charge point held). Either way the
   * automatic sync of this charge point is turned off — the list is now the operator's, and an
   * automatic sync (e.g. the Full one after a boot) would overwrite it; `setAutoSync(id, true)` hands it back.
   */
  send(
    chargePointId: string,
    request: SendLocalListRequest,
    options: { actor?: string } = {},
  ): Promise<{ status: 'Accepted' | 'Failed' | 'NotSupported' | 'VersionMismatch' }> {
    const actor = options.actor ?? SYSTEM_ACTOR;
    // Cancel a pending automatic sync now, before the call is even queued.
    this.forget(chargePointId, { keepLimits: true });
    const previous = this.#chains.get(chargePointId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      await this.#deps.batcher.run(async (em) => {
        const row = await em.findOne(LocalAuthListSchema, { chargePoint: chargePointId });
        if (row) row.autoSync = false;
        else em.create(LocalAuthListSchema, { chargePoint: chargePointId, version: 0, status: 'Pending', syncedAt: null, entries: null, autoSync: false });
      });
      const answer = await this.#deps.commands.send(chargePointId, 'SendLocalList', request, { actor });
      const row = await this.#deps.orm.em.fork().findOne(LocalAuthListSchema, { chargePoint: chargePointId });
      if (answer.status === 'Accepted') {
        const entries: LocalListEntries = request.updateType === 'Full' ? {} : { ...((row?.entries as LocalListEntries | null) ?? {}) };
        for (const item of request.localAuthorizationList ?? []) {
          if (item.idTagInfo) entries[item.idTag] = item.idTagInfo as LocalListEntries[string];
          else delete entries[item.idTag];
        }
        await this.#store(chargePointId, { version: request.listVersion, status: 'Accepted', entries, syncedAt: this.#deps.clock.now() });
      } else {
        await this.#store(chargePointId, { version: row?.version ?? 0, status: answer.status, entries: (row?.entries as LocalListEntries | null) ?? null });
      }
      return answer;
    });
    this.#chains.set(chargePointId, run);
    this.#track(run);
    void run.finally(() => {
      if (this.#chains.get(chargePointId) === run) this.#chains.delete(chargePointId);
    }).catch(() => undefined);
    return run;
  }

  /** Whether an automatic sync of this charge point is scheduled (after its connect/boot). */
  hasScheduledSync(chargePointId: string): boolean {
    return this.#timers.has(chargePointId) || this.#autoQueue.has(chargePointId);
  }

  /** Schedules the automatic sync of a charge point that connected or booted (debounced per charge point). */
  scheduleSync(chargePointId: string, reason: 'connected' | 'boot'): void {
    if (reason === 'connected') this.#limits.delete(chargePointId);
    if (!this.#options.autoSync || this.#closed) return;
    this.#timers.set(chargePointId, this.#options.syncDelayMs, () => {
      this.#autoQueue.add(chargePointId);
      while (this.#autoWorkers < this.#options.concurrency && this.#autoQueue.size > 0) {
        this.#autoWorkers++;
        this.#track(this.#autoSyncWorker().finally(() => this.#autoWorkers--));
      }
    });
  }

  async #autoSyncWorker(): Promise<void> {
    while (!this.#closed) {
      // Nobody waits for an automatic sync: it yields to the chargers' own traffic.
      await this.#deps.load?.calm();
      if (this.#closed) return;
      const next = this.#autoQueue.values().next();
      if (next.done) return;
      const chargePointId = next.value;
      this.#autoQueue.delete(chargePointId);
      const session = this.#deps.sessions.get(chargePointId);
      // Not yet booted (the Boot that follows schedules again), Pending or Rejected: nothing to do now.
      if (!session || session.registrationStatus !== 'Accepted') continue;
      try {
        await this.#chained(chargePointId, async () => {
          // One read serves both: is the automatic sync on, and what does the charge point hold.
          const row = await this.#deps.orm.em.fork().findOne(LocalAuthListSchema, { chargePoint: chargePointId });
          if (row?.autoSync !== false) await this.#sync(chargePointId, SYSTEM_ACTOR, false, row);
        });
      } catch (err) {
        this.#deps.log.warn({ chargePointId, err: (err as Error).message }, 'automatic local list sync failed');
      }
    }
  }

  /** Forgets a disconnected charge point's pending sync and limits. */
  forget(chargePointId: string, options: { keepLimits?: boolean } = {}): void {
    this.#timers.delete(chargePointId);
    this.#autoQueue.delete(chargePointId);
    if (!options.keepLimits) this.#limits.delete(chargePointId);
  }

  /** Waits until no sync started by this service is running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#dirtyTimer);
    this.#timers.clear();
    this.#autoQueue.clear();
    await this.idle();
  }

  #track(promise: Promise<unknown>): void {
    const p = promise.catch(() => undefined);
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }

  #logFailures(entries: LocalListSyncAllEntry[]): void {
    for (const entry of entries) {
      if (entry.error) this.#deps.log.warn({ chargePointId: entry.chargePointId, code: entry.error.code, err: entry.error.message }, 'local list sync failed');
    }
  }

  /** `stored`: the charge point's row, when the caller has just read it inside the chain. */
  async #sync(chargePointId: string, actor: string, full: boolean, stored?: LocalAuthList | null): Promise<LocalListSyncResult> {
    const { commands, log } = this.#deps;
    const row = stored !== undefined ? stored : await this.#deps.orm.em.fork().findOne(LocalAuthListSchema, { chargePoint: chargePointId });
    const ourVersion = row?.version ?? 0;
    const held = (row?.entries as LocalListEntries | null | undefined) ?? null;

    let chargePointVersion: number | null;
    try {
      chargePointVersion = (await commands.send(chargePointId, 'GetLocalListVersion', {}, { actor })).listVersion;
    } catch (err) {
      const rpcCode = isCsmsError(err, CsmsErrorCode.CALL_ERROR) ? (err.details.rpcErrorCode as string | undefined) : undefined;
      if (rpcCode !== 'NotSupported' && rpcCode !== 'NotImplemented') throw err;
      chargePointVersion = null;
    }
    if (chargePointVersion === null || chargePointVersion < 0) {
      await this.#store(chargePointId, { version: ourVersion, status: 'NotSupported', entries: held });
      log.info({ chargePointId, listVersion: chargePointVersion }, 'charge point does not support a local authorisation list');
      return { chargePointId, outcome: 'NotSupported', updateType: null, chargePointVersion: null, version: ourVersion, calls: 0, entriesSent: 0, entries: 0, truncated: 0 };
    }

    const inStep = row?.status === 'Accepted' && row.syncedAt != null && held !== null && ourVersion === chargePointVersion;
    const wanted = await this.#wanted();
    const result: LocalListSyncResult = {
      chargePointId,
      outcome: 'UpToDate',
      updateType: null,
      chargePointVersion,
      version: ourVersion,
      calls: 0,
      entriesSent: 0,
      entries: held ? Object.keys(held).length : 0,
      truncated: 0,
    };
    let updateType: 'Full' | 'Differential' = full || !inStep ? 'Full' : 'Differential';
    for (let attempt = 0; attempt < 2; attempt++) {
      const limits = await this.#limitsOf(chargePointId, actor);
      const plan = planLocalListUpdate({
        updateType,
        held: held ?? {},
        wanted,
        // A Full update may use any version; above both ours and the charge point's avoids a version
        // the charge point could take for one it already has.
        fromVersion: updateType === 'Full' ? Math.max(ourVersion, chargePointVersion, 0) : ourVersion,
        chunkSize: limits.sendMax ?? this.#options.defaultChunkSize,
        maxEntries: limits.listMax,
      });
      result.truncated = plan.truncated;
      if (plan.truncated > 0) {
        log.warn({ chargePointId, truncated: plan.truncated, max: limits.listMax }, 'IdTag table is longer than LocalAuthListMaxLength; non-Accepted and last tags left out');
      }
      if (plan.messages.length === 0) {
        // In step and nothing changed: note the check, keep version and entries.
        await this.#store(chargePointId, { version: ourVersion, status: 'Accepted', entries: held, syncedAt: this.#deps.clock.now() });
        return result;
      }
      result.updateType ??= updateType;
      let accepted: { version: number; entries: LocalListEntries } | null = null;
      let refusal: 'Failed' | 'NotSupported' | 'VersionMismatch' | null = null;
      for (const message of plan.messages) {
        const { status } = await commands.send(
          chargePointId,
          'SendLocalList',
          { listVersion: message.listVersion, updateType: message.updateType, localAuthorizationList: message.localAuthorizationList },
          { actor },
        );
        result.calls++;
        if (status !== 'Accepted') {
          refusal = status;
          break;
        }
        result.entriesSent += message.localAuthorizationList.length;
        accepted = { version: message.listVersion, entries: message.entriesAfter };
      }
      if (accepted) {
        result.version = accepted.version;
        result.entries = Object.keys(accepted.entries).length;
      }
      if (!refusal) {
        await this.#store(chargePointId, { version: accepted!.version, status: 'Accepted', entries: accepted!.entries, syncedAt: this.#deps.clock.now() });
        result.outcome = 'Accepted';
        log.info({ chargePointId, updateType, version: result.version, calls: result.calls, entriesSent: result.entriesSent }, 'local list synced');
        return result;
      }
      if (refusal === 'VersionMismatch' && updateType === 'Differential' && !accepted && attempt === 0) {
        log.warn({ chargePointId, version: ourVersion + 1 }, 'differential local list update answered VersionMismatch; sending the full list');
        updateType = 'Full';
        continue;
      }
      // Refused (Failed, NotSupported, or a mismatch we do not retry): the status is stored and the
      // next sync sends the full list. What was accepted before the refusal stays recorded.
      await this.#store(chargePointId, {
        version: accepted?.version ?? ourVersion,
        status: refusal,
        entries: accepted?.entries ?? held,
        syncedAt: accepted ? this.#deps.clock.now() : (row?.syncedAt ?? null),
      });
      result.outcome = refusal;
      log.warn({ chargePointId, updateType: plan.messages[result.calls - 1]?.updateType, status: refusal }, 'charge point refused the local list update');
      return result;
    }
    /* c8 ignore next */
    throw new CsmsError(CsmsErrorCode.CALL_ERROR, `local list sync of ${chargePointId} did not converge`);
  }

  /** The list from the IdTag table (cached for `cacheTtlMs`; dropped by markDirty). */
  async #wanted(): Promise<LocalListEntries> {
    const now = this.#deps.clock.now();
    if (this.#desired && Date.now() - this.#desired.at < this.#options.cacheTtlMs) return this.#desired.entries;
    const tags = await this.#deps.orm.em.fork().find(IdTagSchema, {}, { orderBy: { idTag: 'asc' } });
    const entries = desiredEntries(tags, now);
    this.#desired = { entries, at: Date.now() };
    return entries;
  }

  /** SendLocalListMaxLength and LocalAuthListMaxLength, read once per connection (unknown when GetConfiguration fails). */
  async #limitsOf(chargePointId: string, actor: string): Promise<ChargePointLimits> {
    const known = this.#limits.get(chargePointId);
    if (known) return known;
    const limits: ChargePointLimits = { sendMax: null, listMax: null };
    try {
      const answer = await this.#deps.commands.send(chargePointId, 'GetConfiguration', { key: ['SendLocalListMaxLength', 'LocalAuthListMaxLength'] }, { actor });
      for (const { key, value } of answer.configurationKey ?? []) {
        const n = Number(value);
        if (!Number.isInteger(n) || n <= 0) continue;
        if (key === 'SendLocalListMaxLength') limits.sendMax = n;
        if (key === 'LocalAuthListMaxLength') limits.listMax = n;
      }
    } catch (err) {
      if (isCsmsError(err, CsmsErrorCode.CHARGE_POINT_OFFLINE)) throw err;
      this.#deps.log.debug({ chargePointId, err: (err as Error).message }, 'could not read the local list limits; using the defaults');
    }
    this.#limits.set(chargePointId, limits);
    return limits;
  }

  async #store(
    chargePointId: string,
    values: { version: number; status: string; entries: LocalListEntries | null; syncedAt?: Date | null },
  ): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      const row = await em.findOne(LocalAuthListSchema, { chargePoint: chargePointId });
      const data = {
        version: values.version,
        status: values.status,
        entries: values.entries,
        ...(values.syncedAt !== undefined ? { syncedAt: values.syncedAt } : {}),
      };
      if (row) em.assign(row, data);
      else em.create(LocalAuthListSchema, { chargePoint: chargePointId, syncedAt: null, ...data });
    });
  }
}
