import type { FastifyInstance } from 'fastify';
import type { LiveStateService, QueryService, TransactionQuery, TransactionRow } from '../core-api.js';
import { sendHtml, state, type DashboardDeps } from '../http/context.js';
import { parseLocalDate } from '../time.js';
import { withLiveFigures } from '../live/live-fill.js';
import { errorPage } from '../views/error-page.js';
import { transactionDetailPage, type CostParts } from '../views/transaction-detail-view.js';
import { FLAG_EXPLANATIONS, PAGE_SIZE, transactionsPage, type TxFilter } from '../views/transactions-view.js';

const SORTS = ['startedAt', 'stoppedAt', 'energyWh', 'cost', 'id'] as const;
const CSV_MAX_ROWS = 100_000;
const CSV_CHUNK = 1000;

/** Reads the filter of the list (and the CSV export) from the query string; bad values are named. */
export function parseFilter(query: Record<string, unknown>, timeZone: string): { filter: TxFilter; q: TransactionQuery; errors: Record<string, string> } {
  const s = (k: string) => (typeof query[k] === 'string' ? (query[k] as string).trim() : '');
  const errors: Record<string, string> = {};
  const sort = (SORTS as readonly string[]).includes(s('sort')) ? s('sort') : 'startedAt';
  const order = s('order') === 'asc' ? 'asc' : 'desc';
  const pageNo = Math.max(1, Math.min(100_000, Number.parseInt(s('page') || '1', 10) || 1));
  const filter: TxFilter = { chargePointId: s('chargePointId'), idTag: s('idTag'), from: s('from'), to: s('to'), status: s('status'), flag: s('flag'), sort, order, page: pageNo };
  const q: TransactionQuery = { sort: sort as TransactionQuery['sort'], order, limit: PAGE_SIZE, offset: (pageNo - 1) * PAGE_SIZE };
  if (filter.chargePointId) q.chargePointId = filter.chargePointId;
  if (filter.idTag) q.idTag = filter.idTag;
  if (filter.from) {
    const d = parseLocalDate(filter.from, timeZone);
    if (d) q.from = d;
    else errors.from = 'must be a date (YYYY-MM-DD)';
  }
  if (filter.to) {
    const d = parseLocalDate(filter.to, timeZone, true);
    if (d) q.to = d;
    else errors.to = 'must be a date (YYYY-MM-DD)';
  }
  if (q.from && q.to && q.from >= q.to) errors.to = 'must not be before From';
  if (filter.status === 'Active' || filter.status === 'Completed') q.status = filter.status;
  else filter.status = '';
  if (filter.flag === 'any') q.flagged = true;
  else if (filter.flag && filter.flag in FLAG_EXPLANATIONS) q.flag = filter.flag;
  else filter.flag = '';
  return { filter, q, errors };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // No formula injection when the file is opened in a spreadsheet.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function registerTransactionRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const queries = () => deps.svc.queries();

  app.get('/transactions', async (request, reply) => {
    const { view, fmt } = state(request);
    const { filter, q, errors } = parseFilter(request.query as Record<string, unknown>, deps.options.timeZone);
    const translated = Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, fmt.t(v)]));
    const found = Object.keys(errors).length ? { items: [], total: 0 } : await queries().transactions(q);
    const result = { ...found, items: withLiveFigures(found.items, deps.svc.live()) };
    // The filter's charge point list from the live state (in memory), not a database read.
    const chargePoints = deps.svc.live().snapshot().chargePoints.map((c) => c.id).sort();
    return sendHtml(reply, transactionsPage(view, filter, result, chargePoints, translated), Object.keys(errors).length ? 422 : 200);
  });

  app.get('/transactions.csv', async (request, reply) => {
    const { q, errors } = parseFilter(request.query as Record<string, unknown>, deps.options.timeZone);
    if (Object.keys(errors).length) {
      return reply.code(422).header('content-type', 'text/plain; charset=utf-8').send(Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('\n'));
    }
    const header = ['id', 'chargePointId', 'connectorId', 'idTag', 'status', 'startedAt', 'stoppedAt', 'meterStartWh', 'meterStopWh', 'energyWh', 'costIdr', 'stopReason', 'flags'];
    const lines = [header.join(',')];
    for (let offset = 0; offset < CSV_MAX_ROWS; offset += CSV_CHUNK) {
      const { items } = await queries().transactions({ ...q, limit: CSV_CHUNK, offset });
      for (const r of items) {
        lines.push([r.id, r.chargePointId, r.connectorId, r.idTag, r.status, r.startTimestamp, r.stopTimestamp, r.meterStart, r.meterStop, r.energyWh, r.cost, r.stopReason, r.flags.join(' ')].map(csvCell).join(','));
      }
      if (items.length < CSV_CHUNK) break;
    }
    const stamp = new Date().toISOString().slice(0, 10);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="transactions-${stamp}.csv"`)
      .header('cache-control', 'no-store')
      .send(`${lines.join('\r\n')}\r\n`);
  });

  app.get<{ Params: { id: string } }>('/transactions/:id', async (request, reply) => {
    const { view, fmt } = state(request);
    const id = Number(request.params.id);
    const tx = Number.isInteger(id) && id >= 0 ? await queries().transaction(id) : null;
    if (!tx) return sendHtml(reply, errorPage(view, 404, fmt.t('No transaction with this number.')), 404);
    const live = deps.svc.live().connector(tx.chargePointId, tx.connectorId) ?? null;
    let cost: CostParts | null = null;
    let note: string | null = null;
    try {
      const c = await deps.svc.tariffs().liveCost(tx.id);
      cost = { energy: c.energy, time: c.time, idle: c.idle, net: c.net, tax: c.tax, total: c.total, tariff: c.breakdown.tariff, billedIdleMs: c.breakdown.billedIdleMs, durationMs: c.breakdown.durationMs, energyWh: c.breakdown.energyWh };
      if (!c.final) note = fmt.t('Estimate so far; final at stop.');
    } catch (err) {
      note = (err as Error).message;
    }
    return sendHtml(reply, transactionDetailPage(view, tx, live, cost, note));
  });

  /** Aligned meter curves for uPlot: x in seconds, power kW, delivered energy kWh, SoC %. */
  app.get<{ Params: { id: string } }>('/transactions/:id/series.json', async (request, reply) => {
    const id = Number(request.params.id);
    const tx = Number.isInteger(id) ? await queries().transaction(id) : null;
    if (!tx) return reply.code(404).send({ error: 'not found' });
    const series = await queries().meterSeries(id, { measurands: ['Power.Active.Import', 'Energy.Active.Import.Register', 'SoC'] });
    return reply.header('cache-control', 'no-store').send(alignSeries(tx, series));
  });
}

type Series = { measurand: string; phase: string | null; points: [number, number][] };

/** One x axis for all curves; per-phase power is summed when the charger sends no total. */
export function alignSeries(tx: TransactionRow, series: Series[]) {
  const pick = (measurand: string): Map<number, number> => {
    const all = series.filter((s) => s.measurand === measurand);
    const total = all.filter((s) => !s.phase || s.phase === 'N' ? !s.phase : false);
    const use = total.length ? total : all.filter((s) => s.phase && s.phase !== 'N');
    const out = new Map<number, number>();
    for (const s of use) for (const [ms, v] of s.points) out.set(ms, (out.get(ms) ?? 0) + v);
    return out;
  };
  const power = pick('Power.Active.Import');
  const energy = pick('Energy.Active.Import.Register');
  const soc = pick('SoC');
  const xs = [...new Set([...power.keys(), ...energy.keys(), ...soc.keys()])].sort((a, b) => a - b);
  return {
    x: xs.map((ms) => ms / 1000),
    powerKw: xs.map((ms) => (power.has(ms) ? power.get(ms)! / 1000 : null)),
    energyKwh: xs.map((ms) => (energy.has(ms) ? Math.max(0, energy.get(ms)! - tx.meterStart) / 1000 : null)),
    socPercent: xs.map((ms) => (soc.has(ms) ? soc.get(ms)! : null)),
  };
}
