import { Readable } from 'node:stream';
import { raw, type FilterQuery } from '@mikro-orm/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TariffService } from '../../../domain/tariffs/tariff-service.js';
import { MeterSampleSchema, TransactionSchema, type Transaction, type TransactionStatus } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import type { ApiRouteConfig } from '../api-auth.js';
import { csvRow } from '../csv.js';
import { chargePointIdParam, errors, idTagValue, meterSampleView, page, paginationQuery, strictObject, timeRangeQuery, transactionView } from '../schemas.js';
import { meterSampleViewOf, transactionViewOf, type LiveCost } from '../views.js';
import { findChargePoint, notFound, pageOf, timeRange, type PageQuery } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };

const transactionId = { type: 'integer', minimum: 1, maximum: 2_147_483_647, description: 'The OCPP transactionId.' } as const;

const filterQuery = {
  chargePointId: chargePointIdParam,
  idTag: { ...idTagValue, description: 'Only transactions started with this idTag (case-insensitive).' },
  status: { type: 'string', enum: ['Active', 'Completed'] },
  ...timeRangeQuery,
} as const;

interface Filters {
  chargePointId?: string;
  idTag?: string;
  status?: TransactionStatus;
  from?: string;
  to?: string;
}

/** Rows of one CSV page: bounded memory however many transactions match. */
const CSV_PAGE = 500;

const CSV_COLUMNS = [
  'id',
  'chargePointId',
  'connectorId',
  'status',
  'idTag',
  'parentIdTag',
  'reservationId',
  'startTimestamp',
  'stopTimestamp',
  'meterStartWh',
  'meterStopWh',
  'energyWh',
  'costIdr',
  'stopReason',
  'flags',
] as const;

function csvValues(tx: Transaction) {
  return [
    tx.id,
    tx.chargePoint as unknown as string,
    tx.connectorId,
    tx.status,
    tx.idTag,
    tx.parentIdTag,
    tx.reservationId,
    tx.startTimestamp,
    tx.stopTimestamp,
    tx.meterStart,
    tx.meterStop,
    tx.energyWh,
    tx.status === 'Completed' ? tx.cost : null,
    tx.stopReason,
    (tx.flags ?? []).join(';'),
  ];
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

function all(parts: FilterQuery<Transaction>[]): FilterQuery<Transaction> {
  return parts.length === 0 ? {} : { $and: parts };
}

export function registerTransactionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const em = () => ctx.orm.em.fork();

  /** The where clause of the filters; null when the charge point filter names no registered charge point. */
  async function whereOf(q: Filters): Promise<FilterQuery<Transaction>[] | null> {
    const where: FilterQuery<Transaction>[] = [];
    if (q.chargePointId !== undefined) {
      if (!(await findChargePoint(em(), q.chargePointId))) return null;
      where.push({ chargePoint: q.chargePointId });
    }
    if (q.idTag !== undefined) where.push(idTagFilter(q.idTag));
    if (q.status !== undefined) where.push({ status: q.status });
    const range = timeRange(q);
    if (range) where.push({ startTimestamp: range });
    return where;
  }

  async function liveCostOf(tx: Transaction): Promise<LiveCost | null> {
    if (tx.status !== 'Active' || !ctx.services.has('tariffs')) return null;
    try {
      const cost = await ctx.services.get<TariffService>('tariffs').liveCost(tx.id, { chargePointId: tx.chargePoint as unknown as string });
      return { cost: cost.total, breakdown: cost.breakdown as unknown as Record<string, unknown> };
    } catch (err) {
      // A price that cannot be computed must not hide the transaction itself.
      ctx.log.warn({ err, transactionId: tx.id }, 'could not compute the live cost of a transaction');
      return null;
    }
  }

  async function oneTransaction(id: number, chargePointId?: string): Promise<Transaction> {
    const tx = await em().findOne(TransactionSchema, { id });
    // Scoped: a transaction of another charge point is "not found", never shown or confirmed.
    if (!tx || (chargePointId !== undefined && (tx.chargePoint as unknown as string) !== chargePointId)) {
      throw notFound(`transaction ${id} not found${chargePointId === undefined ? '' : ` on charge point "${chargePointId}"`}`);
    }
    return tx;
  }

  app.get<{ Querystring: Filters & PageQuery }>(
    '/transactions',
    {
      config: viewer,
      schema: {
        tags: ['transactions'],
        summary: 'List transactions, newest first, with filters and pagination',
        description: '`from`/`to` filter on the start time (charge point clock). List items carry the stored cost; GET /transactions/{id} adds the live cost of a running one.',
        querystring: strictObject({ ...filterQuery, ...paginationQuery }),
        response: { 200: page(transactionView, 'Transactions, newest start first.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const where = await whereOf(q);
      if (!where) return pageOf([], 0, q);
      const [rows, total] = await em().findAndCount(TransactionSchema, all(where), {
        orderBy: { startTimestamp: 'desc', id: 'desc' },
        limit: q.limit,
        offset: q.offset,
      });
      return pageOf(rows.map((tx) => transactionViewOf(tx)), total, q);
    },
  );

  app.get<{ Querystring: Filters }>(
    '/transactions.csv',
    {
      config: viewer,
      schema: {
        tags: ['transactions'],
        summary: 'Export transactions as CSV (same filters as the list, all pages)',
        description:
          `Columns: ${CSV_COLUMNS.join(', ')}. RFC 4180 (CRLF, quoted where needed), UTF-8, newest first; text cells that would start a ` +
          "spreadsheet formula get a leading '. Streamed in pages, so any number of rows is fine.",
        querystring: strictObject(filterQuery),
        response: {
          200: { description: 'CSV file.', content: { 'text/csv': { schema: { type: 'string' } } } },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const where = await whereOf(request.query);
      const fork = em();
      async function* rows(): AsyncGenerator<string> {
        yield csvRow(CSV_COLUMNS);
        if (!where) return;
        let after: Transaction | undefined;
        // Keyset pages on (startTimestamp, id): stable under concurrent inserts, no growing OFFSET.
        for (;;) {
          const keyset: FilterQuery<Transaction>[] = after
            ? [{ $or: [{ startTimestamp: { $lt: after.startTimestamp } }, { startTimestamp: after.startTimestamp, id: { $lt: after.id } }] }]
            : [];
          const batch = await fork.find(TransactionSchema, all([...where!, ...keyset]), { orderBy: { startTimestamp: 'desc', id: 'desc' }, limit: CSV_PAGE });
          for (const tx of batch) yield csvRow(csvValues(tx));
          fork.clear();
          if (batch.length < CSV_PAGE) return;
          after = batch[batch.length - 1];
        }
      }
      const stamp = ctx.clock.now().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="transactions-${stamp}.csv"`)
        .send(Readable.from(rows()));
    },
  );

  app.get<{ Params: { id: number } }>(
    '/transactions/:id',
    {
      config: viewer,
      schema: {
        tags: ['transactions'],
        summary: 'One transaction; a running one with its live cost',
        params: strictObject({ id: transactionId }, ['id']),
        response: { 200: transactionView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const tx = await oneTransaction(request.params.id);
      return transactionViewOf(tx, await liveCostOf(tx));
    },
  );

  app.get<{ Params: { id: string; txId: number } }>(
    '/charge-points/:id/transactions/:txId',
    {
      config: viewer,
      schema: {
        tags: ['transactions'],
        summary: 'One transaction of one charge point (another charge point\'s transaction is 404)',
        params: strictObject({ id: chargePointIdParam, txId: transactionId }, ['id', 'txId']),
        response: { 200: transactionView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const tx = await oneTransaction(request.params.txId, request.params.id);
      return transactionViewOf(tx, await liveCostOf(tx));
    },
  );

  app.get<{ Params: { id: number }; Querystring: PageQuery & { measurand?: string } }>(
    '/transactions/:id/meter-samples',
    {
      config: viewer,
      schema: {
        tags: ['transactions'],
        summary: 'Meter samples of one transaction, oldest first',
        params: strictObject({ id: transactionId }, ['id']),
        querystring: strictObject({
          limit: { type: 'integer', minimum: 1, maximum: 5000, default: 1000, description: 'Page size (1–5000).' },
          offset: paginationQuery.offset,
          measurand: { type: 'string', maxLength: 64, description: 'e.g. Energy.Active.Import.Register, Power.Active.Import.' },
        }),
        response: { 200: page(meterSampleView, 'Samples by charge point timestamp.'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => samplesOf(request),
  );

  async function samplesOf(request: FastifyRequest<{ Params: { id: number }; Querystring: PageQuery & { measurand?: string } }>) {
    const tx = await oneTransaction(request.params.id);
    const q = request.query;
    const where = { transaction: tx.id, ...(q.measurand !== undefined ? { measurand: q.measurand } : {}) };
    const [rows, total] = await em().findAndCount(MeterSampleSchema, where, { orderBy: { timestamp: 'asc', id: 'asc' }, limit: q.limit, offset: q.offset });
    return pageOf(rows.map(meterSampleViewOf), total, q);
  }
}
