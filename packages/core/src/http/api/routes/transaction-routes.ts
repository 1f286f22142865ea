import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TRANSACTION_SORT_KEYS, type TransactionRow, type TransactionSortKey } from '../../../domain/queries/query-service.js';
import type { TransactionStatus } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import type { ApiRouteConfig } from '../api-auth.js';
import { csvRow } from '../csv.js';
import { chargePointIdParam, errors, idTagValue, meterSampleView, page, paginationQuery, strictObject, timeRangeQuery, transactionView } from '../schemas.js';
import { notFound, pageOf, type PageQuery } from './lookups.js';

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

function csvValues(tx: TransactionRow) {
  return [
    tx.id,
    tx.chargePointId,
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

/** Query-string filters → the query service's transaction filters. */
function filtersOf(q: Filters) {
  return {
    chargePointId: q.chargePointId,
    idTag: q.idTag,
    status: q.status,
    from: q.from !== undefined ? new Date(q.from) : undefined,
    to: q.to !== undefined ? new Date(q.to) : undefined,
  };
}

export function registerTransactionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const queries = () => ctx.services.get('queries');

  async function oneTransaction(id: number, chargePointId?: string): Promise<TransactionRow> {
    // Scoped: a transaction of another charge point is "not found", never shown or confirmed.
    const tx = await queries().transaction(id, chargePointId === undefined ? {} : { chargePointId });
    if (!tx) throw notFound(`transaction ${id} not found${chargePointId === undefined ? '' : ` on charge point "${chargePointId}"`}`);
    return tx;
  }

  app.get<{ Querystring: Filters & PageQuery & { sort?: TransactionSortKey; order?: 'asc' | 'desc' } }>(
    '/transactions',
    {
      config: viewer,
      schema: {
        tags: ['transactions'],
        summary: 'List transactions, latest first, with filters, sort and pagination',
        description:
          '`from`/`to` filter on the start time (charge point clock). Default order: latest received first (`sort=receivedAt`, the server time the ' +
          'StartTransaction arrived, which no charger clock can disorder); `sort=startedAt` orders by the charger\'s start timestamp. ' +
          'List items carry the stored cost; GET /transactions/{id} adds the live cost of a running one.',
        querystring: strictObject({
          ...filterQuery,
          ...paginationQuery,
          sort: { type: 'string', enum: [...TRANSACTION_SORT_KEYS], default: 'receivedAt', description: 'receivedAt (server receive time of the start), stopReceivedAt, startedAt / stoppedAt (charger clock), energyWh, cost, id.' },
          order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
        }),
        response: { 200: page(transactionView, 'Transactions, newest start first.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const { items, total } = await queries().transactions({ ...filtersOf(q), sort: q.sort ?? 'receivedAt', order: q.order ?? 'desc', limit: q.limit, offset: q.offset });
      return pageOf(items, total, q);
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
      const found = queries().transactionsAll(filtersOf(request.query), CSV_PAGE);
      async function* rows(): AsyncGenerator<string> {
        yield csvRow(CSV_COLUMNS);
        for await (const tx of found) yield csvRow(csvValues(tx));
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
    async (request) => oneTransaction(request.params.id),
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
    async (request) => oneTransaction(request.params.txId, request.params.id),
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
    const q = request.query;
    const found = await queries().meterSamples(request.params.id, { measurand: q.measurand, limit: q.limit, offset: q.offset });
    if (!found) throw notFound(`transaction ${request.params.id} not found`);
    return pageOf(found.items, found.total, q);
  }
}
