import type { EntitySchema, MikroORM } from '@mikro-orm/core';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';
import { silentLogger, type Logger } from '../kernel/logger.js';
import type { CsmsEntityManager } from './create-orm.js';
import { isSqlite, nativeSqlite, type NativeSqlite } from './dialect.js';

/**
 * One unit of database work. It gets the batch's entity manager, which is inside an open
 * transaction shared with the other works of the batch.
 *
 * Rules for a work:
 * - Use only the given `em` (another entity manager would wait for the batch's connection: on
 *   SQLite, which has one connection, that is a deadlock).
 * - It may run twice: if its batch fails, the batch is rolled back and every work is re-run alone.
 *   So it must have no effect outside `em` (send replies, emit events after the promise resolves).
 * - Create entities with `em.create(...)`; they are written by the batch's single flush, as
 *   multi-row INSERTs together with the other works' rows. Call `await em.flush()` only when the
 *   work needs a generated id (e.g. the Transaction id).
 */
export type WriteWork<T> = (em: CsmsEntityManager, batch: BatchWriter) => Promise<T> | T;

/**
 * Rows a work wants inserted without going through the unit of work: the batcher writes all rows
 * of one entity from all works of the batch as one multi-row INSERT, after the works and before the
 * flush. For the hot path (meter samples), where building one managed entity per row would cost
 * more than the insert itself. The rows are plain property objects, as for `em.insertMany`.
 */
export interface BatchWriter {
  insert<T extends object>(entity: EntitySchema<T, never> | EntitySchema<T>, row: Partial<T>): void;
  /**
   * Inserts the row, or updates the `update` properties of the row with the same `conflict` key (a
   * primary or unique key). All upserts of one entity and property set in the batch are written
   * together: one kept-prepared `INSERT … ON CONFLICT (…) DO UPDATE` run per row (SQLite), or ONE
   * multi-row `… ON DUPLICATE KEY UPDATE` (MariaDB), before the batch's inserts (so those may
   * reference the upserted rows); for the same key the later row wins. No read, no managed
   * entity: for the notifications a reconnect storm brings (BootNotification,
   * StatusNotification). Unlike entities, these rows are written after every work of the batch
   * has run, so a later work in the same batch does not see them.
   */
  upsert<T extends object>(
    entity: EntitySchema<T, never> | EntitySchema<T>,
    row: Partial<T>,
    options: { conflict: readonly (keyof T & string)[]; update: readonly (keyof T & string)[] },
  ): void;
  /**
   * Sets `set` on the row whose primary key is `id`. In a batch with ORM works it is written right
   * after the work that queued it, so a later work of the batch reads the new value; in a batch of
   * row-only works, after the inserts. For a row-only work (`WriteBatcher.write`) that must change a
   * stored row, e.g. a transaction's flags.
   */
  update<T extends object>(entity: EntitySchema<T, never> | EntitySchema<T>, id: number | string, set: Partial<T>): void;
}

/** A work that only queues rows (see `WriteBatcher.write`): synchronous, no entity manager. */
export type RowWork<T> = (rows: BatchWriter) => T;

interface UpsertGroup {
  entity: EntitySchema<any, any>;
  /** Entity, properties, conflict and update properties: the same key makes the same statement. */
  key: string;
  props: string[];
  conflict: readonly string[];
  update: readonly string[];
  rows: Record<string, unknown>[];
}

interface RowUpdate {
  entity: EntitySchema<any, any>;
  id: number | string;
  set: Record<string, unknown>;
}

class RowCollector implements BatchWriter {
  readonly #rows = new Map<EntitySchema<any, any>, object[]>();
  readonly #upserts = new Map<string, UpsertGroup>();
  readonly #updates: RowUpdate[] = [];

  update<T extends object>(entity: EntitySchema<T, never> | EntitySchema<T>, id: number | string, set: Partial<T>): void {
    this.#updates.push({ entity: entity as EntitySchema<any, any>, id, set: set as Record<string, unknown> });
  }

  /** Writes the updates queued so far, inside the batch's transaction (see `update`). */
  async writeUpdates(em: CsmsEntityManager): Promise<void> {
    const updates = this.#updates.splice(0);
    const connection = em.getConnection();
    const ctx: unknown = em.getTransactionContext(); // MikroORM types it any
    const sqlite = isSqlite(em);
    for (const update of updates) {
      const { sql, params } = updateStatement(em, update, sqlite);
      await connection.execute(sql, params, 'run', ctx);
    }
  }

  get hasUpdates(): boolean {
    return this.#updates.length > 0;
  }

  /**
   * Whether the rows are one MariaDB statement (one entity, one chunk, nothing else), which is
   * atomic on its own: then a batch of row-only works needs no transaction around it.
   */
  isOneStatement(em: CsmsEntityManager): boolean {
    if (this.#upserts.size > 0 || this.#updates.length > 0 || this.#rows.size !== 1) return false;
    const [entity, rows] = this.#rows.entries().next().value!;
    return rows.length <= Math.floor(MAX_PARAMS / insertPlan(em, entity).columns.length);
  }

  /**
   * Writes everything on the native SQLite handle, synchronously, inside the caller's open
   * transaction. One single-row statement per row, kept prepared (see `keepStatementsPrepared`).
   */
  writeNative(em: CsmsEntityManager, db: NativeSqlite): void {
    for (const group of this.#upserts.values()) {
      // One single-row statement, kept prepared, run per row. The ORM's execute() would inline the
      // values into a new SQL text for every batch: one prepare per batch and a statement cache
      // flooded with texts that never come back.
      const plan = upsertPlan(em, group, true);
      const upsert = db.prepare(`${plan.head}${plan.tuple}${plan.tail}`);
      for (const row of group.rows) upsert.run(group.props.map((prop, j) => toDatabase(row[prop], plan.json[j]!, true)));
    }
    for (const [entity, rows] of this.#rows) {
      // Up to NATIVE_ROWS_PER_STATEMENT rows per statement, one kept-prepared statement per row
      // count: a statement run costs about as much as binding its row (about half of a
      // single-row insert), so sixteen rows pay it once. The rows of one statement leave the same
      // nullable columns empty, and those columns are left out of it (stored as NULL all the
      // same): binding a value costs about as much as storing it, and a sampled value usually has
      // five empty columns of fourteen (raw test: 3.1 µs per row with them, 1.4–2.3 without).
      const plan = insertPlan(em, entity);
      for (let i = 0; i < rows.length; ) {
        const empty = plan.emptyColumns(rows[i] as Record<string, unknown>);
        let end = i + 1;
        while (end < rows.length && end - i < NATIVE_ROWS_PER_STATEMENT && plan.emptyColumns(rows[end] as Record<string, unknown>) === empty) end++;
        const statement = plan.without(empty);
        const params = new Array<unknown>((end - i) * statement.columns.length);
        let p = 0;
        for (let r = i; r < end; r++) {
          const row = rows[r] as Record<string, unknown>;
          for (const column of statement.columns) params[p++] = toDatabase(row[column.prop], column.json, true);
        }
        db.prepare(statement.sql(end - i)).run(params);
        i = end;
      }
    }
    for (const update of this.#updates) {
      const { sql, params } = updateStatement(em, update, true);
      db.prepare(sql).run(params);
    }
  }

  insert<T extends object>(entity: EntitySchema<T, never> | EntitySchema<T>, row: Partial<T>): void {
    const rows = this.#rows.get(entity) ?? [];
    rows.push(row);
    this.#rows.set(entity, rows);
  }

  upsert<T extends object>(
    entity: EntitySchema<T, never> | EntitySchema<T>,
    row: Partial<T>,
    options: { conflict: readonly (keyof T & string)[]; update: readonly (keyof T & string)[] },
  ): void {
    const props = Object.keys(row).filter((k) => (row as Record<string, unknown>)[k] !== undefined);
    const key = `${entity.meta.className}|${props.join(',')}|${options.conflict.join(',')}|${options.update.join(',')}`;
    const group: UpsertGroup = this.#upserts.get(key) ?? { entity: entity as EntitySchema<any, any>, key, props, conflict: options.conflict, update: options.update, rows: [] };
    group.rows.push(row as Record<string, unknown>);
    this.#upserts.set(key, group);
  }

  /**
   * The queued rows, inside the batch's transaction (or, for one statement, `isOneStatement`, in
   * autocommit), without the ORM's query building (tens of microseconds per row): this is the
   * MeterValues hot path. Values are converted the way MikroORM stores them (dates as epoch
   * milliseconds on SQLite and as Date objects for mysql2, which formats them in UTC; JSON as text).
   * - SQLite: `writeNative` on the better-sqlite3 handle under the ORM's single connection, which is
   *   the batch's open transaction; preparing a new multi-row statement for every batch cost more
   *   than running it.
   * - MariaDB: upserts and inserts as multi-row statements per entity and chunk (one round trip
   *   instead of one per row), then the updates.
   */
  async writeTo(em: CsmsEntityManager, options: { autocommit?: boolean } = {}): Promise<void> {
    if (this.#rows.size === 0 && this.#upserts.size === 0 && this.#updates.length === 0) return;
    const db = await nativeSqlite(em);
    if (db) {
      this.writeNative(em, db);
      return;
    }
    const connection = em.getConnection();
    // autocommit: on a pooled connection of its own, never in a transaction the context may hold.
    const ctx: unknown = options.autocommit ? undefined : em.getTransactionContext();
    for (const group of this.#upserts.values()) {
      const plan = upsertPlan(em, group, false);
      const perChunk = Math.max(1, Math.floor(MAX_PARAMS / group.props.length));
      for (let i = 0; i < group.rows.length; i += perChunk) {
        const chunk = group.rows.slice(i, i + perChunk);
        const params = chunk.flatMap((row) => group.props.map((prop, j) => toDatabase(row[prop], plan.json[j]!, false)));
        await connection.execute(`${plan.head}${chunk.map(() => plan.tuple).join(', ')}${plan.tail}`, params, 'run', ctx);
      }
    }
    for (const [entity, rows] of this.#rows) {
      const plan = insertPlan(em, entity);
      const perChunk = Math.max(1, Math.floor(MAX_PARAMS / plan.columns.length));
      for (let i = 0; i < rows.length; i += perChunk) {
        const chunk = rows.slice(i, i + perChunk) as Record<string, unknown>[];
        const params: unknown[] = [];
        for (const row of chunk) for (const column of plan.columns) params.push(toDatabase(row[column.prop], column.json, false));
        await connection.execute(plan.sql(chunk.length), params, 'run', ctx);
      }
    }
    await this.writeUpdates(em);
  }
}

/** `update … set … where <primary key> = ?` for one `BatchWriter.update`. */
function updateStatement(em: CsmsEntityManager, update: RowUpdate, sqlite: boolean): { sql: string; params: unknown[] } {
  const meta = em.getMetadata().find(update.entity as never);
  if (!meta) throw new CsmsError(CsmsErrorCode.DATABASE, `entity ${update.entity.meta.className} is not registered`);
  const primary = meta.props.find((prop) => prop.primary);
  const props = Object.keys(update.set).map((name) => {
    const prop = meta.props.find((p) => p.name === name);
    if (!prop?.fieldNames?.length || !primary?.fieldNames?.length) throw new CsmsError(CsmsErrorCode.DATABASE, `${meta.className}.${name} is not a stored property`);
    return { field: prop.fieldNames[0]!, value: toDatabase(update.set[name], String(prop.type).toLowerCase().includes('json'), sqlite) };
  });
  return {
    sql: `update \`${meta.tableName}\` set ${props.map((p) => `\`${p.field}\` = ?`).join(', ')} where \`${primary!.fieldNames[0]!}\` = ?`,
    params: [...props.map((p) => p.value), update.id],
  };
}

/** Placeholders per statement, below SQLite's (32,766) and MariaDB's (65,535) limits. */
const MAX_PARAMS = 30_000;

/** An INSERT of some columns of an entity. */
interface InsertStatement {
  columns: Array<{ prop: string; json: boolean }>;
  /** The INSERT of `rows` rows; up to NATIVE_ROWS_PER_STATEMENT rows the same string each time (a statement cache finds it at once). */
  sql(rows: number): string;
}

/** The INSERT of every column of an entity, and of fewer columns when a row leaves some empty. */
interface InsertPlan extends InsertStatement {
  /**
   * Which of the columns that may be left out (nullable, no default) are empty (null or absent) in
   * `row`, as a bit set: the key of `without`.
   */
  emptyColumns(row: Record<string, unknown>): number;
  /** The INSERT without the columns of `emptyColumns` (stored as NULL, which is their default). */
  without(emptyColumns: number): InsertStatement;
}

/** Rows per statement on the native SQLite path (16 × 15 columns: far below SQLite's 32,766 placeholders). */
const NATIVE_ROWS_PER_STATEMENT = 16;

const plans = new WeakMap<object, InsertPlan>();

/** An INSERT of `columns` into `table`. */
function insertStatement(table: string, columns: Array<{ prop: string; field: string; json: boolean }>): InsertStatement {
  const head = `insert into \`${table}\` (${columns.map((c) => `\`${c.field}\``).join(', ')}) values `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const texts: string[] = [];
  return {
    columns: columns.map(({ prop, json }) => ({ prop, json })),
    sql: (rows) => {
      const text = texts[rows] ?? `${head}${Array.from({ length: rows }, () => tuple).join(', ')}`;
      if (rows <= NATIVE_ROWS_PER_STATEMENT) texts[rows] = text; // the few texts the native path reuses
      return text;
    },
  };
}

/** The columns of an entity that a raw INSERT writes: every stored property but an auto-increment key. */
function insertPlan(em: CsmsEntityManager, entity: EntitySchema<any, any>): InsertPlan {
  const cached = plans.get(entity);
  if (cached) return cached;
  const meta = em.getMetadata().find(entity as never);
  if (!meta) throw new CsmsError(CsmsErrorCode.DATABASE, `entity ${entity.meta.className} is not registered`);
  const columns: Array<{ prop: string; field: string; json: boolean; optional: boolean }> = [];
  for (const prop of meta.props) {
    if ((prop.primary && prop.autoincrement) || prop.persist === false || !prop.fieldNames?.length) continue;
    if (prop.kind !== 'scalar' && prop.kind !== 'm:1') continue;
    columns.push({
      prop: prop.name,
      field: prop.fieldNames[0]!,
      json: String(prop.type).toLowerCase().includes('json'),
      // Left out when empty only where that stores what binding null would: NULL.
      optional: prop.nullable === true && prop.default == null && prop.defaultRaw === undefined,
    });
  }
  // At most 30 columns that may be left out (a bit each of a small integer); any further ones are always bound.
  const optional = columns.filter((c) => c.optional).slice(0, 30).map((c) => c.prop);
  const variants = new Map<number, InsertStatement>();
  const all = insertStatement(meta.tableName, columns);
  variants.set(0, all);
  const plan: InsertPlan = {
    ...all,
    emptyColumns: (row) => {
      let empty = 0;
      for (let bit = 0; bit < optional.length; bit++) if (row[optional[bit]!] == null) empty |= 1 << bit;
      return empty;
    },
    without: (empty) => {
      let variant = variants.get(empty);
      if (!variant) {
        const left = new Set(optional.filter((_, bit) => (empty & (1 << bit)) !== 0));
        const kept = columns.filter((c) => !left.has(c.prop));
        // A row with every column empty binds them all: an INSERT names at least one column.
        variant = kept.length > 0 ? insertStatement(meta.tableName, kept) : all;
        variants.set(empty, variant);
      }
      return variant;
    },
  };
  plans.set(entity, plan);
  return plan;
}

interface UpsertPlan {
  head: string;
  tuple: string;
  tail: string;
  /** Per property of the group: stored as JSON text. */
  json: boolean[];
}

const upsertPlans = new WeakMap<object, Map<string, UpsertPlan>>();

/** The statement parts of an upsert group (built once per entity, property set and dialect). */
function upsertPlan(em: CsmsEntityManager, group: UpsertGroup, sqlite: boolean): UpsertPlan {
  let byKey = upsertPlans.get(group.entity);
  if (!byKey) upsertPlans.set(group.entity, (byKey = new Map<string, UpsertPlan>()));
  const key = `${sqlite ? 'sqlite' : 'mysql'}|${group.key}`;
  const cached = byKey.get(key);
  if (cached) return cached;
  const meta = em.getMetadata().find(group.entity as never);
  if (!meta) throw new CsmsError(CsmsErrorCode.DATABASE, `entity ${group.entity.meta.className} is not registered`);
  const column = (name: string) => {
    const prop = meta.props.find((p) => p.name === name);
    if (!prop?.fieldNames?.length) throw new CsmsError(CsmsErrorCode.DATABASE, `${meta.className}.${name} is not a stored property`);
    return { field: prop.fieldNames[0]!, json: String(prop.type).toLowerCase().includes('json') };
  };
  const columns = group.props.map(column);
  const updates = group.update.map((name) => column(name).field);
  const plan: UpsertPlan = {
    head: `insert into \`${meta.tableName}\` (${columns.map((c) => `\`${c.field}\``).join(', ')}) values `,
    tuple: `(${columns.map(() => '?').join(', ')})`,
    tail: sqlite
      ? ` on conflict (${group.conflict.map((name) => `\`${column(name).field}\``).join(', ')}) do update set ${updates.map((f) => `\`${f}\` = excluded.\`${f}\``).join(', ')}`
      : ` on duplicate key update ${updates.map((f) => `\`${f}\` = values(\`${f}\`)`).join(', ')}`,
    json: columns.map((c) => c.json),
  };
  byKey.set(key, plan);
  return plan;
}

function toDatabase(value: unknown, json: boolean, sqlite: boolean): unknown {
  if (value === undefined || value === null) return null;
  if (json) return JSON.stringify(value);
  if (value instanceof Date) return sqlite ? value.getTime() : value;
  if (sqlite && typeof value === 'boolean') return value ? 1 : 0; // better-sqlite3 binds no booleans
  return value;
}

export interface WriteBatcherDeps {
  orm: MikroORM;
  /**
   * Most works in one database transaction (default: 100 on SQLite, 500 on MariaDB). On SQLite a
   * commit is cheap and synchronous, so a smaller batch answers its chargers sooner: with 1,000
   * chargers flooding, batches of up to 500 made the server read for ~30 ms, then answer everyone
   * at once and wait idle for the next wave; batches of 100 keep answers and requests flowing.
   */
  maxBatch?: number;
  /** How long an idle batcher waits for more works before it commits (default 2 ms). */
  maxDelayMs?: number;
  /**
   * Batches of independent works (see `RunOptions`) committing at once, each on its own connection
   * (default: 1 on SQLite, which has one connection and one writer; 2 on MariaDB, so that the next
   * batch runs while the previous one waits for its commit's fsync).
   */
  maxConcurrentBatches?: number;
  log?: Logger;
  /** Told about every batch (works, time to run and commit, outcome); for metrics. Must not throw. */
  onBatch?: (batch: { works: number; durationMs: number; ok: boolean; error?: unknown }) => void;
}

export interface RunOptions {
  /**
   * The work depends on no earlier work of the queue: it reads nothing another queued work may
   * write, and its effect does not depend on running after them (the insert of a meter sample of a
   * transaction known to be open and committed). Such works may run in a batch of their own while
   * an earlier batch of such works is still committing (see `maxConcurrentBatches`); a work without
   * this flag waits until every earlier batch has committed. Default false.
   */
  independent?: boolean;
  /**
   * The work reads rows that works queued before it may write (e.g. whether a sample is stored
   * already). It starts a batch of its own, so every earlier work has committed when it runs: a
   * work's rows are written after every work of its batch has run, so a later work in the same
   * batch would not see them. Never `independent`. Default false.
   */
  readsEarlierWrites?: boolean;
}

interface Pending {
  /** A work (`run`), or null for a row-only work (`write`), which is `rowWork`. */
  work: WriteWork<unknown> | null;
  rowWork: RowWork<unknown> | null;
  independent: boolean;
  /** See `RunOptions.readsEarlierWrites`. */
  startsBatch: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Runs a queued work of either kind in a batch with the ORM. */
function runPending(item: Pending, em: CsmsEntityManager, rows: BatchWriter): Promise<unknown> | unknown {
  return item.work ? item.work(em, rows) : item.rowWork!(rows);
}

/**
 * Group commit. Works submitted while a batch is being committed, or within `maxDelayMs` of the
 * first one, run one after another in ONE transaction on one forked entity manager, then one
 * flush and one commit; each `run()` promise settles only after that commit (so the caller sends
 * the OCPP CALLRESULT only for data that is on disk).
 *
 * Ordering: works are applied in submission order — within a batch one after another, batches one
 * after another, and the one-by-one retry keeps the same order. A later work sees an earlier work's
 * entities through the identity map (and, after a flush, through queries). The one exception is
 * opted into per work: on MariaDB, a batch made only of `independent` works may start while an
 * earlier batch of only independent works is still committing (on another connection); a batch
 * holding any other work runs alone. SQLite always runs one batch at a time (one writer).
 *
 * Failure: if any work throws, or the flush/commit fails, the whole batch is rolled back and each
 * work is re-run alone in its own transaction, so one bad work fails only its own promise (with
 * its own error) and a unique-constraint race resolves correctly on the retry.
 */
export class WriteBatcher {
  readonly #orm: MikroORM;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #log: Logger;
  readonly #onBatch: WriteBatcherDeps['onBatch'];
  readonly #maxConcurrent: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Batches running or committing. */
  #running = 0;
  /** One of them holds a work that is not independent (then it is the only one). */
  #runningDependent = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(deps: WriteBatcherDeps) {
    this.#orm = deps.orm;
    this.#maxBatch = Math.max(1, deps.maxBatch ?? (isSqlite(deps.orm.em) ? 100 : 500));
    this.#maxDelayMs = Math.max(0, deps.maxDelayMs ?? 2);
    this.#log = deps.log ?? silentLogger;
    this.#onBatch = deps.onBatch;
    this.#maxConcurrent = isSqlite(deps.orm.em) ? 1 : Math.max(1, deps.maxConcurrentBatches ?? 2);
  }

  /** Queues a work; resolves with its result after its batch has committed. */
  run<T>(work: WriteWork<T>, options: RunOptions = {}): Promise<T> {
    const startsBatch = options.readsEarlierWrites === true;
    return this.#enqueue<T>(work as WriteWork<unknown>, null, options.independent === true && !startsBatch, startsBatch);
  }

  #enqueue<T>(work: WriteWork<unknown> | null, rowWork: RowWork<unknown> | null, independent: boolean, startsBatch = false): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new CsmsError(CsmsErrorCode.CLOSED, 'the write batcher is closed; no more database writes are accepted'),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, rowWork, independent, startsBatch, resolve: resolve as (v: unknown) => void, reject });
      this.#schedule();
    });
  }

  /**
   * Queues a row-only work: it only queues rows on the batch's `BatchWriter` (inserts, upserts,
   * updates), synchronously, and reads nothing. A batch made only of such works skips the ORM: on
   * SQLite its rows are written and committed in one synchronous transaction on the native handle,
   * and on MariaDB, when they are one multi-row INSERT, that statement runs alone in autocommit
   * (atomic by itself: one round trip instead of BEGIN, INSERT, COMMIT). In a batch with other
   * works it runs like any work. Resolves with its result after the commit. For the MeterValues hot
   * path, where the ORM's transaction cost more than the rows.
   */
  write<T>(work: RowWork<T>, options: RunOptions = {}): Promise<T> {
    return this.#enqueue<T>(null, work as RowWork<unknown>, options.independent === true);
  }

  /** Batches running or committing right now (tests, metrics). */
  get runningBatches(): number {
    return this.#running;
  }

  /** Resolves when every work submitted so far (and any submitted meanwhile) has settled. */
  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    // Don't let a pending delay hold up a drain.
    this.#startNow();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops accepting works and waits for the queued ones to commit. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
  }

  #isIdle(): boolean {
    return this.#queue.length === 0 && this.#running === 0 && this.#timer === undefined;
  }

  /** Whether the work at the head of the queue may start a batch now. */
  #mayStart(): boolean {
    if (this.#running === 0) return true;
    return this.#running < this.#maxConcurrent && !this.#runningDependent && this.#queue[0]?.independent === true;
  }

  #schedule(): void {
    if (!this.#mayStart()) return; // picked up right after the current commit
    if (this.#queue.length >= this.#maxBatch || this.#closed) {
      this.#startNow();
      return;
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#startNext();
      }, this.#maxDelayMs);
    }
  }

  #startNow(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#startNext();
  }

  #startNext(): void {
    if (this.#queue.length === 0) {
      if (this.#running > 0) return;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
      return;
    }
    if (!this.#mayStart()) return;
    let size = Math.min(this.#maxBatch, this.#queue.length);
    if (this.#running > 0) {
      // Alongside another batch: only the independent works at the head of the queue.
      size = this.#queue.findIndex((item, i) => i >= this.#maxBatch || !item.independent);
      if (size === -1) size = Math.min(this.#maxBatch, this.#queue.length);
    }
    for (let i = 1; i < size; i++) {
      if (this.#queue[i]!.startsBatch) {
        size = i; // it waits for this batch's commit
        break;
      }
    }
    const batch = this.#queue.splice(0, size);
    const dependent = batch.some((item) => !item.independent);
    this.#running++;
    if (dependent) this.#runningDependent = true;
    void this.#runBatch(batch).finally(() => {
      this.#running--;
      if (dependent) this.#runningDependent = false;
      // Works that arrived during the commit go right away: they already waited one commit.
      this.#startNext();
    });
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    let results: unknown[];
    const started = performance.now();
    try {
      results = batch.every((item) => item.rowWork)
        ? await this.#rowsOnly(batch)
        : await this.#transaction(async (em, rows) => {
            const out: unknown[] = [];
            for (const item of batch) {
              out.push(await runPending(item, em, rows));
              if (rows.hasUpdates) await rows.writeUpdates(em);
            }
            return out;
          });
      this.#onBatch?.({ works: batch.length, durationMs: performance.now() - started, ok: true });
    } catch (err) {
      this.#onBatch?.({ works: batch.length, durationMs: performance.now() - started, ok: false, error: err });
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      this.#log.warn(
        { err, works: batch.length },
        'write batch failed and was rolled back; re-running each work in its own transaction',
      );
      for (const item of batch) {
        try {
          item.resolve(await this.#transaction((em, rows) => runPending(item, em, rows)));
        } catch (itemErr) {
          item.reject(itemErr);
        }
      }
      return;
    }
    batch.forEach((item, i) => item.resolve(results[i]));
  }

  /**
   * A batch of row-only works, without the ORM's transaction where it can: SQLite, when no other
   * transaction is open on the connection, commits the rows in one synchronous native transaction
   * (nothing else can run in between); MariaDB runs one INSERT in autocommit. Otherwise (several
   * statements on MariaDB, a transaction open on SQLite) the rows go through `#transaction`.
   */
  async #rowsOnly(batch: Pending[]): Promise<unknown[]> {
    const rows = new RowCollector();
    const results = batch.map((item) => item.rowWork!(rows));
    const em = this.#orm.em as unknown as CsmsEntityManager;
    const db = await nativeSqlite(em);
    if (db && !db.inTransaction) {
      db.prepare('begin').run([]);
      try {
        rows.writeNative(em, db);
        db.prepare('commit').run([]);
      } catch (err) {
        db.prepare('rollback').run([]);
        throw err;
      }
      return results;
    }
    if (!db && rows.isOneStatement(em)) {
      await rows.writeTo(em, { autocommit: true });
      return results;
    }
    await this.#transaction((tem) => rows.writeTo(tem));
    return results;
  }

  /** One transaction on a fresh fork: a clean identity map per batch keeps memory flat. */
  #transaction<T>(fn: (em: CsmsEntityManager, rows: RowCollector) => Promise<T> | T): Promise<T> {
    const em = this.#orm.em.fork({ clear: true }) as unknown as CsmsEntityManager;
    return em.transactional(async (tem) => {
      const rows = new RowCollector();
      const result = await fn(tem, rows);
      await rows.writeTo(tem);
      return result;
    });
  }
}
