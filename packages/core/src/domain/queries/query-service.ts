import { raw, type EntityManager, type FilterQuery, type MikroORM } from '@mikro-orm/core';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import {
  AuditLogSchema,
  ChargePointSchema,
  ConnectorSchema,
  MeterSampleSchema,
  OrphanMessageSchema,
  ReservationSchema,
  StatusEventSchema,
  TransactionSchema,
  type ChargePoint,
  type Transaction,
  type TransactionStatus,
} from '../../persistence/entities/index.js';
import {
  auditEntryViewOf,
  chargePointViewOf,
  meterSampleViewOf,
  orphanViewOf,
  reservationViewOf,
  statusEventViewOf,
  transactionViewOf,
  type LiveCost,
  type SessionInfo,
} from './read-views.js';
import { isSqlite } from '../../persistence/dialect.js';
import { bucketKey, constantOffsetPieces, groupUnitMs, isTimeZone, localToUtc, nextBucketKey, offsetAt, type CalendarBucket } from './time-buckets.js';

/** A charge point with its connectors and whether it is connected now (the REST charge point view). */
export type ChargePointRow = ReturnType<typeof chargePointViewOf>;
/** A transaction (the REST transaction view): ISO dates, Wh, cost in IDR. */
export type TransactionRow = ReturnType<typeof transactionViewOf>;
export type MeterSampleRow = ReturnType<typeof meterSampleViewOf>;
export type StatusEventRow = ReturnType<typeof statusEventViewOf>;
export type AuditRow = ReturnType<typeof auditEntryViewOf>;
export type OrphanRow = ReturnType<typeof orphanViewOf>;
export type ReservationRow = ReturnType<typeof reservationViewOf>;

export interface Page<T> {
  items: T[];
  total: number;
}

/** The sort keys `transactions()` accepts (anything else is CSMS_ERR_INPUT_INVALID on `sort`). */
export const TRANSACTION_SORT_KEYS = ['startedAt', 'stoppedAt', 'receivedAt', 'stopReceivedAt', 'energyWh', 'cost', 'id'] as const;
export type TransactionSortKey = (typeof TRANSACTION_SORT_KEYS)[number];

const SORT_COLUMNS: Record<TransactionSortKey, 'startTimestamp' | 'stopTimestamp' | 'startReceivedAt' | 'stopReceivedAt' | 'energyWh' | 'cost' | 'id'> = {
  startedAt: 'startTimestamp',
  stoppedAt: 'stopTimestamp',
  /** Server time the StartTransaction arrived: "latest" that no charger clock can disorder. */
  receivedAt: 'startReceivedAt',
  stopReceivedAt: 'stopReceivedAt',
  energyWh: 'energyWh',
  cost: 'cost',
  id: 'id',
};

export interface TransactionQuery {
  chargePointId?: string;
  /** Case-insensitive (OCPP CiString). */
  idTag?: string;
  /** Start time (charge point clock) at or after. */
  from?: Date;
  /** Start time before. */
  to?: Date;
  status?: TransactionStatus;
  /** Only transactions with this flag (e.g. `meter-register-reset`). */
  flag?: string;
  /** true: only flagged transactions; false: only unflagged ones. */
  flagged?: boolean;
  /** Default `startedAt`. */
  sort?: TransactionSortKey;
  /** Default `desc`. */
  order?: 'asc' | 'desc';
  /** Default 50, at most 1000. */
  limit?: number;
  offset?: number;
}

export interface AuditQuery {
  chargePointId?: string;
  actor?: string;
  action?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
}

export interface MeterSeries {
  measurand: string;
  phase: string | null;
  unit: string;
  /** [charge point time in epoch ms, value], oldest first. */
  points: [number, number][];
}

export interface SessionStatsRow {
  /** Start of the bucket (local midnight / hour / first of month in the time zone) as a UTC ISO instant. */
  bucketStart: string;
  /** Transactions started in the bucket. */
  sessions: number;
  /** Energy of the transactions started in the bucket that have ended (Wh). */
  energyWh: number;
  /** Final cost of the transactions started in the bucket that have ended (IDR). */
  revenueIdr: number;
}

export interface PowerRow {
  /** Start of the bucket, UTC ISO. */
  at: string;
  /** Sum over connectors of each connector's average active import power in the bucket (W). */
  powerW: number;
}

/** One completed session as the ML plugin reads it. */
export interface AnalysisSession {
  id: number;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  startedAt: string;
  stoppedAt: string;
  energyWh: number;
  /** Highest Power.Active.Import sample of the session (W); null without power samples. */
  maxPowerW: number | null;
  /** energyWh over the session duration (W); null for a zero-length session. */
  avgPowerW: number | null;
  /** Seconds plugged in after charging ended (cost breakdown idleMs, when the end of charging is known); null when unknown. */
  idleS: number | null;
  flags: string[];
}

export interface QueryServiceDeps {
  orm: MikroORM;
  /** Connected charge points (online status, registration of a Boot not yet written). */
  sessions: { get(chargePointId: string): SessionInfo | undefined; ids(): string[] };
  log: Logger;
  /** Looks up an optional service at call time (`tariffs` for the live cost of running sessions). */
  optional?: (name: string) => unknown;
  /** Moves the samples still in the inbox into meter_sample (awaited before every sample query). */
  samples: { settle(): Promise<void> };
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
/** Buckets one aggregate answer may have (a year of hours is 8,784). */
const MAX_BUCKETS = 10_000;
const POWER_MEASURAND = 'Power.Active.Import';
const LINE_PHASES = new Set(['L1', 'L2', 'L3', 'L1-N', 'L2-N', 'L3-N']);

function invalid(field: string, problem: string): CsmsError {
  return new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid query: ${field} ${problem}`, { details: { fields: { [field]: problem } } });
}

function limitOf(limit: number | undefined, fallback = DEFAULT_LIMIT, max = MAX_LIMIT): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw invalid('limit', `must be a whole number from 1 to ${max}`);
  return limit;
}

function offsetOf(offset: number | undefined): number {
  if (offset === undefined) return 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalid('offset', 'must be a whole number ≥ 0');
  return offset;
}

function dateOf(field: string, value: Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(field, 'must be a valid date');
  return value;
}

function range(from: Date | undefined, to: Date | undefined): { $gte?: Date; $lt?: Date } | undefined {
  if (!from && !to) return undefined;
  return { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) };
}

function all<T>(parts: FilterQuery<T>[]): FilterQuery<T> {
  return parts.length === 0 ? ({} as FilterQuery<T>) : ({ $and: parts } as FilterQuery<T>);
}

/**
 * The read models lists, pages and charts need, shared by the REST API and plugins (dashboard,
 * ML): plain JSON-ready objects with ISO dates, filters, pagination with totals, an allowlist of
 * sort keys, and aggregates per hour/day/month in a time zone. Each query is served by an index
 * (docs/persistence.md, bench/query-volume.mjs for the figures at 100,000 transactions and
 * 5 million meter samples). Bad query values are CsmsError CSMS_ERR_INPUT_INVALID naming the field.
 */
export class QueryService {
  readonly #deps: QueryServiceDeps;
  #sqlite: boolean | undefined;

  constructor(deps: QueryServiceDeps) {
    this.#deps = deps;
  }

  // ---------------------------------------------------------------- charge points

  /** Every charge point (by id, case-insensitive order) with connectors and online status. */
  async chargePoints(): Promise<ChargePointRow[]> {
    return (await this.chargePointPage({ limit: Number.MAX_SAFE_INTEGER })).items;
  }

  /** A page of charge points; `online` filters on connected (true) / disconnected (false). */
  async chargePointPage(q: { online?: boolean; limit?: number; offset?: number } = {}): Promise<Page<ChargePointRow>> {
    const limit = q.limit === Number.MAX_SAFE_INTEGER ? undefined : limitOf(q.limit);
    const offset = offsetOf(q.offset);
    const connected = this.#deps.sessions.ids();
    if (q.online === true && connected.length === 0) return { items: [], total: 0 };
    const where = q.online === undefined || (q.online === false && connected.length === 0) ? {} : q.online ? { id: { $in: connected } } : { id: { $nin: connected } };
    const em = this.#em();
    const [rows, total] = await em.findAndCount(ChargePointSchema, where, {
      // Case-insensitive order on both databases (MariaDB's collation already sorts so, SQLite's does not).
      orderBy: [{ [raw((alias) => `lower(${alias}.id)`)]: 'asc' }, { id: 'asc' }],
      ...(limit !== undefined ? { limit } : {}),
      offset,
    });
    const connectors = rows.length ? await em.find(ConnectorSchema, { chargePoint: { $in: rows.map((r) => r.id) } }) : [];
    const items = rows.map((cp) =>
      chargePointViewOf(
        cp,
        connectors.filter((c) => (c.chargePoint as unknown as string) === cp.id),
        this.#deps.sessions.get(cp.id),
      ),
    );
    return { items, total };
  }

  /** One charge point (exact, case-sensitive id), or null. */
  async chargePoint(id: string): Promise<ChargePointRow | null> {
    const em = this.#em();
    const cp = await findChargePointExact(em, id);
    if (!cp) return null;
    const connectors = await em.find(ConnectorSchema, { chargePoint: cp.id });
    return chargePointViewOf(cp, connectors, this.#deps.sessions.get(cp.id));
  }

  // ---------------------------------------------------------------- transactions

  /** Transactions with filters, a sort key from TRANSACTION_SORT_KEYS, and a page with the total. */
  async transactions(q: TransactionQuery = {}): Promise<Page<TransactionRow>> {
    const sort = q.sort ?? 'startedAt';
    if (!(TRANSACTION_SORT_KEYS as readonly string[]).includes(sort)) throw invalid('sort', `must be one of ${TRANSACTION_SORT_KEYS.join(', ')}`);
    const order = q.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw invalid('order', 'must be asc or desc');
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.offset);
    const em = this.#em();
    const where = await this.#transactionWhere(em, q);
    if (!where) return { items: [], total: 0 };
    const column = SORT_COLUMNS[sort];
    const orderBy = column === 'id' ? { id: order } : { [column]: order, id: order };
    const filter = all(where);
    // Deferred join: the page's ids come from the index alone (secondary indexes hold the key), then
    // only those rows are read — a deep OFFSET skips index entries, not whole rows.
    const [idRows, total] = await Promise.all([
      em.find(TransactionSchema, filter, { orderBy, limit, offset, fields: ['id'] }),
      em.count(TransactionSchema, filter),
    ]);
    const ids = idRows.map((r) => r.id);
    if (ids.length === 0) return { items: [], total };
    const rows = await this.#em().find(TransactionSchema, { id: { $in: ids } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return { items: ids.flatMap((id) => (byId.has(id) ? [transactionViewOf(byId.get(id)!)] : [])), total };
  }

  /**
   * Every transaction matching the filters, newest start first, in keyset pages of `pageSize`
   * (bounded memory for exports of any size).
   */
  async *transactionsAll(q: Omit<TransactionQuery, 'sort' | 'order' | 'limit' | 'offset'> = {}, pageSize = 500): AsyncGenerator<TransactionRow> {
    const em = this.#em();
    const where = await this.#transactionWhere(em, q);
    if (!where) return;
    let after: Transaction | undefined;
    for (;;) {
      // Keyset pages on (startTimestamp, id): stable under concurrent inserts, no growing OFFSET.
      const keyset: FilterQuery<Transaction>[] = after
        ? [{ $or: [{ startTimestamp: { $lt: after.startTimestamp } }, { startTimestamp: after.startTimestamp, id: { $lt: after.id } }] }]
        : [];
      const batch = await em.find(TransactionSchema, all([...where, ...keyset]), { orderBy: { startTimestamp: 'desc', id: 'desc' }, limit: pageSize });
      for (const tx of batch) yield transactionViewOf(tx);
      em.clear();
      if (batch.length < pageSize) return;
      after = batch[batch.length - 1];
    }
  }

  /**
   * One transaction, or null (also when `chargePointId` is given and it belongs to another charge
   * point). A running one carries its live cost (from the `tariffs` service).
   */
  async transaction(id: number, options: { chargePointId?: string } = {}): Promise<TransactionRow | null> {
    if (!Number.isInteger(id)) throw invalid('id', 'must be a whole number');
    const tx = await this.#em().findOne(TransactionSchema, { id });
    if (!tx || (options.chargePointId !== undefined && (tx.chargePoint as unknown as string) !== options.chargePointId)) return null;
    return transactionViewOf(tx, await this.#liveCost(tx));
  }

  /** Raw meter samples of a transaction, oldest first, paged; null when the transaction does not exist. */
  async meterSamples(transactionId: number, q: { measurand?: string; limit?: number; offset?: number } = {}): Promise<Page<MeterSampleRow> | null> {
    const limit = limitOf(q.limit, 1000, 5000);
    const offset = offsetOf(q.offset);
    await this.#deps.samples.settle();
    const em = this.#em();
    if (!(await em.findOne(TransactionSchema, { id: transactionId }, { fields: ['id'] }))) return null;
    const where = { transaction: transactionId, ...(q.measurand !== undefined ? { measurand: q.measurand } : {}) };
    const [rows, total] = await em.findAndCount(MeterSampleSchema, where, { orderBy: { timestamp: 'asc', id: 'asc' }, limit, offset });
    return { items: rows.map(meterSampleViewOf), total };
  }

  /** A transaction's samples as series per measurand and phase (for charts); [] for an unknown transaction. */
  async meterSeries(transactionId: number, q: { measurands?: string[] } = {}): Promise<MeterSeries[]> {
    const params: unknown[] = [transactionId];
    let sql = 'select measurand, phase, unit, timestamp as ts, value from meter_sample where transaction_id = ?';
    if (q.measurands && q.measurands.length > 0) {
      sql += ` and measurand in (${q.measurands.map(() => '?').join(', ')})`;
      params.push(...q.measurands);
    }
    sql += ' and value is not null order by timestamp, id';
    await this.#deps.samples.settle();
    const rows = await this.#all<{ measurand: string; phase: string | null; unit: string; ts: unknown; value: number }>(sql, params);
    const series = new Map<string, MeterSeries>();
    for (const row of rows) {
      const key = `${row.measurand}\u0000${row.phase ?? ''}\u0000${row.unit}`;
      let s = series.get(key);
      if (!s) {
        s = { measurand: row.measurand, phase: row.phase ?? null, unit: row.unit, points: [] };
        series.set(key, s);
      }
      s.points.push([this.#ms(row.ts), Number(row.value)]);
    }
    return [...series.values()].sort((a, b) => (a.measurand === b.measurand ? (a.phase ?? '').localeCompare(b.phase ?? '') : a.measurand.localeCompare(b.measurand)));
  }

  // ---------------------------------------------------------------- history and logs

  /** StatusNotifications of a charge point, newest received first (before `before`, at most `limit`, default 100). */
  async statusHistory(chargePointId: string, q: { connectorId?: number; limit?: number; before?: Date } = {}): Promise<StatusEventRow[]> {
    const page = await this.statusHistoryPage(chargePointId, { connectorId: q.connectorId, to: q.before, limit: q.limit ?? 100, offset: 0, count: false });
    return page?.items ?? [];
  }

  /** A page of a charge point's StatusNotifications with the total; null when the charge point is unknown. */
  async statusHistoryPage(
    chargePointId: string,
    q: { connectorId?: number; from?: Date; to?: Date; limit?: number; offset?: number; count?: boolean } = {},
  ): Promise<Page<StatusEventRow> | null> {
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.offset);
    const em = this.#em();
    if (!(await findChargePointExact(em, chargePointId))) return null;
    const where: Record<string, unknown> = { chargePoint: chargePointId };
    if (q.connectorId !== undefined) where.connectorId = q.connectorId;
    const receivedAt = range(dateOf('from', q.from), dateOf('to', q.to));
    if (receivedAt) where.receivedAt = receivedAt;
    const options = { orderBy: { receivedAt: 'desc' as const, id: 'desc' as const }, limit, offset };
    if (q.count === false) {
      const rows = await em.find(StatusEventSchema, where, options);
      return { items: rows.map(statusEventViewOf), total: rows.length };
    }
    const [rows, total] = await em.findAndCount(StatusEventSchema, where, options);
    return { items: rows.map(statusEventViewOf), total };
  }

  /** The audit log (operator commands and changes), newest first; secrets in requests shown as ***. */
  async auditLog(q: AuditQuery = {}): Promise<Page<AuditRow>> {
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.offset);
    const where: Record<string, unknown> = {};
    if (q.chargePointId !== undefined) where.chargePoint = q.chargePointId;
    if (q.actor !== undefined) where.actor = q.actor;
    if (q.action !== undefined) where.action = q.action;
    if (q.outcome !== undefined) where.outcome = q.outcome;
    const at = range(dateOf('from', q.from), dateOf('to', q.to));
    if (at) where.at = at;
    const [rows, total] = await this.#em().findAndCount(AuditLogSchema, where, { orderBy: { at: 'desc', id: 'desc' }, limit, offset });
    return { items: rows.map(auditEntryViewOf), total };
  }

  /** Orphan messages (Stop / MeterValues for unknown or closed transactions), newest first. */
  async orphans(
    q: { chargePointId?: string; action?: string; reviewed?: boolean; from?: Date; to?: Date; limit?: number; offset?: number } = {},
  ): Promise<Page<OrphanRow>> {
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.offset);
    const where: Record<string, unknown> = {};
    if (q.chargePointId !== undefined) where.chargePoint = q.chargePointId;
    if (q.action !== undefined) where.action = q.action;
    if (q.reviewed !== undefined) where.reviewedAt = q.reviewed ? { $ne: null } : null;
    const receivedAt = range(dateOf('from', q.from), dateOf('to', q.to));
    if (receivedAt) where.receivedAt = receivedAt;
    const [rows, total] = await this.#em().findAndCount(OrphanMessageSchema, where, { orderBy: { receivedAt: 'desc', id: 'desc' }, limit, offset });
    return { items: rows.map(orphanViewOf), total };
  }

  /** Reservations, newest first. */
  async reservations(q: { chargePointId?: string; status?: string; limit?: number; offset?: number } = {}): Promise<Page<ReservationRow>> {
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.offset);
    const where: Record<string, unknown> = {};
    if (q.chargePointId !== undefined) where.chargePoint = q.chargePointId;
    if (q.status !== undefined) where.status = q.status;
    const [rows, total] = await this.#em().findAndCount(ReservationSchema, where, { orderBy: { id: 'desc' }, limit, offset });
    return { items: rows.map(reservationViewOf), total };
  }

  /** One reservation, or null. */
  async reservation(id: number): Promise<ReservationRow | null> {
    const row = await this.#em().findOne(ReservationSchema, { id });
    return row ? reservationViewOf(row) : null;
  }

  // ---------------------------------------------------------------- aggregates

  /**
   * Sessions, energy and revenue per hour, day or month of `timeZone` (IANA, default
   * Asia/Jakarta), for transactions started (charge point clock) in [from, to). Every bucket in the
   * range is present (zeros included), oldest first. Energy and revenue count ended transactions.
   */
  async sessionStats(q: { from: Date; to: Date; bucket: CalendarBucket; chargePointId?: string; timeZone?: string }): Promise<SessionStatsRow[]> {
    const { from, to, timeZone } = this.#aggregateRange(q);
    if (q.bucket !== 'hour' && q.bucket !== 'day' && q.bucket !== 'month') throw invalid('bucket', 'must be hour, day or month');
    const unit = groupUnitMs(q.bucket);
    const buckets = new Map<number, SessionStatsRow>();
    const fromKey = bucketKey(q.bucket, from + offsetAt(timeZone, from));
    let count = 0;
    for (let key = fromKey; localToUtc(timeZone, key) < to; key = nextBucketKey(q.bucket, key)) {
      if (++count > MAX_BUCKETS) throw invalid('bucket', `gives more than ${MAX_BUCKETS} buckets for this range; use a larger bucket or a shorter range`);
      buckets.set(key, { bucketStart: new Date(localToUtc(timeZone, key)).toISOString(), sessions: 0, energyWh: 0, revenueIdr: 0 });
    }
    for (const piece of constantOffsetPieces(timeZone, from, to)) {
      const bucketExpr = this.#bucketExpr('start_timestamp', piece.offsetMs, unit);
      const params: unknown[] = [this.#param(new Date(piece.from)), this.#param(new Date(piece.to))];
      let sql =
        `select ${bucketExpr} as b, count(*) as n, sum(case when status = 'Completed' then energy_wh else 0 end) as e, ` +
        `sum(case when status = 'Completed' then cost else 0 end) as r from charge_transaction where start_timestamp >= ? and start_timestamp < ?`;
      if (q.chargePointId !== undefined) {
        sql += ' and charge_point_id = ?';
        params.push(q.chargePointId);
      }
      sql += ' group by b';
      for (const row of await this.#all<{ b: unknown; n: unknown; e: unknown; r: unknown }>(sql, params)) {
        const key = bucketKey(q.bucket, Number(row.b) * unit);
        const target = buckets.get(key);
        if (!target) continue;
        target.sessions += Number(row.n);
        target.energyWh += Number(row.e ?? 0);
        target.revenueIdr += Number(row.r ?? 0);
      }
    }
    return [...buckets.values()];
  }

  /**
   * Site power (or one charge point's) per 15 or 60 minutes from the Power.Active.Import meter
   * samples with a timestamp (charge point clock) in [from, to): per connector the average of its
   * samples in the bucket (a total sample when sent, else the sum of its per-phase samples), summed
   * over connectors. Buckets are aligned to the UTC quarter hour (= local quarter hour in every zone);
   * every bucket of the range is present, oldest first.
   */
  async sitePower(q: { from: Date; to: Date; bucketMinutes?: 15 | 60; chargePointId?: string }): Promise<PowerRow[]> {
    const from = dateOf('from', q.from)?.getTime();
    const to = dateOf('to', q.to)?.getTime();
    if (from === undefined) throw invalid('from', 'is required');
    if (to === undefined) throw invalid('to', 'is required');
    if (to <= from) throw invalid('to', 'must be after from');
    const minutes = q.bucketMinutes ?? 15;
    if (minutes !== 15 && minutes !== 60) throw invalid('bucketMinutes', 'must be 15 or 60');
    const unit = minutes * 60_000;
    const first = Math.floor(from / unit);
    const last = Math.ceil(to / unit);
    if (last - first > MAX_BUCKETS) throw invalid('bucketMinutes', `gives more than ${MAX_BUCKETS} buckets for this range; use 60 or a shorter range`);
    const params: unknown[] = [POWER_MEASURAND, this.#param(new Date(from)), this.#param(new Date(to))];
    let sql =
      `select ${this.#bucketExpr('timestamp', 0, unit)} as b, charge_point_id as cp, connector_id as c, phase as p, avg(value) as w ` +
      'from meter_sample where measurand = ? and timestamp >= ? and timestamp < ?';
    if (q.chargePointId !== undefined) {
      sql += ' and charge_point_id = ?';
      params.push(q.chargePointId);
    }
    sql += ' group by b, charge_point_id, connector_id, phase';
    await this.#deps.samples.settle();
    const perConnector = new Map<string, { total: number | null; phases: number }>();
    for (const row of await this.#all<{ b: unknown; cp: string; c: unknown; p: string | null; w: unknown }>(sql, params)) {
      if (row.w === null) continue;
      const key = `${row.b}\u0000${row.cp}\u0000${row.c}`;
      const entry = perConnector.get(key) ?? { total: null, phases: 0 };
      if (row.p === null) entry.total = Number(row.w);
      else if (LINE_PHASES.has(row.p)) entry.phases += Number(row.w);
      perConnector.set(key, entry);
    }
    const site = new Map<number, number>();
    for (const [key, entry] of perConnector) {
      const b = Number(key.slice(0, key.indexOf('\u0000')));
      site.set(b, (site.get(b) ?? 0) + (entry.total ?? entry.phases));
    }
    const rows: PowerRow[] = [];
    for (let b = first; b * unit < to; b++) rows.push({ at: new Date(b * unit).toISOString(), powerW: Math.round((site.get(b) ?? 0) * 10) / 10 });
    return rows;
  }

  /**
   * Completed sessions for analysis (ML): newest first, started in [from, to), at most `limit`
   * (default 10,000, max 100,000), with max power from the meter samples and idle time from the
   * cost breakdown when known.
   */
  async sessionsForAnalysis(q: { from?: Date; to?: Date; limit?: number } = {}): Promise<AnalysisSession[]> {
    const limit = limitOf(q.limit, 10_000, 100_000);
    const from = dateOf('from', q.from);
    const to = dateOf('to', q.to);
    // One query, no entity hydration: the maximum power per session is an index-only lookup
    // (meter_sample_tx_measurand_ts_idx) in a correlated subquery.
    const params: unknown[] = [POWER_MEASURAND];
    let sql =
      'select t.id, t.charge_point_id as cp, t.connector_id as c, t.id_tag as tag, t.start_timestamp as st, t.stop_timestamp as sp, ' +
      't.stop_received_at as sr, t.energy_wh as e, t.cost_breakdown as cb, t.flags as f, ' +
      '(select max(m.value) from meter_sample m where m.transaction_id = t.id and m.measurand = ?) as w ' +
      "from charge_transaction t where t.status = 'Completed'";
    if (from) {
      sql += ' and t.start_timestamp >= ?';
      params.push(this.#param(from));
    }
    if (to) {
      sql += ' and t.start_timestamp < ?';
      params.push(this.#param(to));
    }
    sql += ` order by t.start_timestamp desc, t.id desc limit ${limit}`;
    await this.#deps.samples.settle();
    const rows = await this.#all<{ id: unknown; cp: string; c: unknown; tag: string; st: unknown; sp: unknown; sr: unknown; e: unknown; cb: unknown; f: unknown; w: unknown }>(
      sql,
      params,
    );
    return rows.map((row) => {
      const startedAt = this.#ms(row.st);
      const stoppedAt = row.sp !== null && row.sp !== undefined ? this.#ms(row.sp) : row.sr !== null && row.sr !== undefined ? this.#ms(row.sr) : startedAt;
      const seconds = (stoppedAt - startedAt) / 1000;
      const energyWh = Number(row.e ?? 0);
      // Idle time is known when the cost computation found the end of charging (CostBreakdown.chargingEndedAt).
      const breakdown = parseJson(row.cb) as { chargingEndedAt?: unknown; idleMs?: unknown } | null;
      const idleS = breakdown && breakdown.chargingEndedAt != null && typeof breakdown.idleMs === 'number' ? Math.round(breakdown.idleMs / 1000) : null;
      const flags = parseJson(row.f);
      return {
        id: Number(row.id),
        chargePointId: row.cp,
        connectorId: Number(row.c),
        idTag: row.tag,
        startedAt: new Date(startedAt).toISOString(),
        stoppedAt: new Date(stoppedAt).toISOString(),
        energyWh,
        maxPowerW: row.w === null || row.w === undefined ? null : Number(row.w),
        avgPowerW: seconds > 0 ? Math.round((energyWh * 3600) / seconds) : null,
        idleS,
        flags: Array.isArray(flags) ? flags.map(String) : [],
      };
    });
  }

  // ---------------------------------------------------------------- internals

  #em(): EntityManager {
    return this.#deps.orm.em.fork();
  }

  get #isSqlite(): boolean {
    this.#sqlite ??= isSqlite(this.#deps.orm.em);
    return this.#sqlite;
  }

  /** A date as raw SQL stores it: epoch ms on SQLite, `YYYY-MM-DD HH:MM:SS.mmm` (UTC) on MariaDB. */
  #param(date: Date): unknown {
    return this.#isSqlite ? date.getTime() : date.toISOString().slice(0, 23).replace('T', ' ');
  }

  /** A date column read by raw SQL, as epoch ms. */
  #ms(value: unknown): number {
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (value instanceof Date) return value.getTime();
    const text = String(value);
    return /^\d+$/.test(text) ? Number(text) : new Date(`${text.replace(' ', 'T')}Z`).getTime();
  }

  /** SQL for `floor((column in ms + offsetMs) / unitMs)`, whole numbers on both databases. */
  #bucketExpr(column: string, offsetMs: number, unitMs: number): string {
    const offset = Math.trunc(offsetMs);
    const unit = Math.trunc(unitMs);
    if (this.#isSqlite) return `((${column} + ${offset}) / ${unit})`;
    // to_seconds is plain date arithmetic (no session time zone); buckets are whole minutes, so seconds are exact enough.
    return `floor((to_seconds(${column}) - 62167219200 + ${Math.trunc(offset / 1000)}) / ${Math.trunc(unit / 1000)})`;
  }

  async #all<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (await this.#em().getConnection().execute(sql, params, 'all')) as T[];
  }

  #aggregateRange(q: { from: Date; to: Date; timeZone?: string }): { from: number; to: number; timeZone: string } {
    const from = dateOf('from', q.from)?.getTime();
    const to = dateOf('to', q.to)?.getTime();
    if (from === undefined) throw invalid('from', 'is required');
    if (to === undefined) throw invalid('to', 'is required');
    if (to <= from) throw invalid('to', 'must be after from');
    const timeZone = q.timeZone ?? 'Asia/Jakarta';
    if (!isTimeZone(timeZone)) throw invalid('timeZone', 'must be an IANA time zone name, e.g. Asia/Jakarta');
    return { from, to, timeZone };
  }

  async #transactionWhere(em: EntityManager, q: Omit<TransactionQuery, 'sort' | 'order' | 'limit' | 'offset'>): Promise<FilterQuery<Transaction>[] | null> {
    const where: FilterQuery<Transaction>[] = [];
    if (q.chargePointId !== undefined) {
      if (!(await findChargePointExact(em, q.chargePointId))) return null;
      where.push({ chargePoint: q.chargePointId });
    }
    if (q.idTag !== undefined) {
      if (this.#isSqlite && !/[%_\\]/.test(q.idTag)) {
        // SQLite cannot use an index for a case-insensitive LIKE: find the spellings the table holds
        // (a scan of the covering idTag index), then match them exactly through the index.
        const spellings = await em.find(TransactionSchema, { idTag: { $like: q.idTag } } as FilterQuery<Transaction>, { fields: ['idTag'], groupBy: ['idTag'] } as never);
        const names = [...new Set(spellings.map((r) => r.idTag))];
        if (names.length === 0) return null;
        where.push({ idTag: { $in: names } });
      } else {
        where.push(idTagFilter(q.idTag));
      }
    }
    if (q.status !== undefined) {
      if (q.status !== 'Active' && q.status !== 'Completed') throw invalid('status', 'must be Active or Completed');
      where.push({ status: q.status });
    }
    const start = range(dateOf('from', q.from), dateOf('to', q.to));
    if (start) where.push({ startTimestamp: start });
    if (q.flag !== undefined) {
      if (typeof q.flag !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(q.flag)) throw invalid('flag', 'must be a flag code (letters, digits, . _ : -)');
      // Flags are a JSON array of codes; a code has no quote or LIKE wildcard, so the quoted code matches exactly one element.
      where.push({ [raw((alias) => `${alias}.flags`)]: { $like: `%"${q.flag.replace(/_/g, '\\_')}"%` } } as FilterQuery<Transaction>);
    }
    if (q.flagged !== undefined) {
      // An unflagged transaction stores exactly `[]` (JSON.stringify of an empty list): a text compare, no JSON parsing.
      where.push({ [raw((alias) => `${alias}.flags`)]: q.flagged ? { $ne: '[]' } : '[]' } as FilterQuery<Transaction>);
    }
    return where;
  }

  async #liveCost(tx: Transaction): Promise<LiveCost | null> {
    if (tx.status !== 'Active') return null;
    const tariffs = this.#deps.optional?.('tariffs') as
      | { liveCost(id: number, o: { chargePointId?: string }): Promise<{ total: number; breakdown: unknown }> }
      | undefined;
    if (!tariffs) return null;
    try {
      const cost = await tariffs.liveCost(tx.id, { chargePointId: tx.chargePoint as unknown as string });
      return { cost: cost.total, breakdown: cost.breakdown as Record<string, unknown> };
    } catch (err) {
      // A price that cannot be computed must not hide the transaction itself.
      this.#deps.log.warn({ err, transactionId: tx.id }, 'could not compute the live cost of a transaction');
      return null;
    }
  }
}

/** A JSON column as read by raw SQL (text on SQLite, text or parsed on MariaDB). */
function parseJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

/**
 * Exact, case-sensitive charge point lookup: MariaDB's collation would match "cp-1" to "CP-1",
 * SQLite would not — checking the returned id makes both answer alike.
 */
async function findChargePointExact(em: EntityManager, id: string): Promise<ChargePoint | null> {
  const cp = await em.findOne(ChargePointSchema, { id });
  return cp && cp.id === id ? cp : null;
}

/**
 * idTags are case-insensitive (OCPP CiString). LIKE is case-insensitive for ASCII on SQLite and
 * MariaDB and lets MariaDB use its index; a tag with a LIKE wildcard (`_`, `%`) or backslash is
 * compared with lower() instead, so `A_B` never matches `AXB`.
 */
function idTagFilter(idTag: string): FilterQuery<Transaction> {
  if (/[%_\\]/.test(idTag)) return { [raw((alias) => `lower(${alias}.id_tag)`)]: idTag.toLowerCase() } as FilterQuery<Transaction>;
  return { idTag: { $like: idTag } };
}
