import type { FastifyInstance } from 'fastify';
import type { LiveStateService, QueryService } from '../core-api.js';
import { sendHtml, state, type DashboardDeps } from '../http/context.js';
import { startOfDay } from '../time.js';
import { dashboardPage, type TodayStats } from '../views/dashboard-view.js';

export async function todayStats(deps: DashboardDeps, now = new Date()): Promise<TodayStats> {
  const queries = deps.svc.queries();
  const rows = await queries.sessionStats({ from: startOfDay(now, deps.options.timeZone), to: now, bucket: 'day', timeZone: deps.options.timeZone });
  return rows.reduce<TodayStats>(
    (acc, r) => ({ sessions: acc.sessions + r.sessions, energyWh: acc.energyWh + r.energyWh, revenueIdr: acc.revenueIdr + r.revenueIdr }),
    { sessions: 0, energyWh: 0, revenueIdr: 0 },
  );
}

export function registerDashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const live = () => deps.svc.live();

  app.get('/', async (request, reply) => {
    const { view } = state(request);
    return sendHtml(reply, dashboardPage(view, live().snapshot(), await todayStats(deps), deps.feed.recent(30)));
  });

  /** Site power over the last 24 h (15-minute buckets) with the current value and the grid limit. */
  app.get('/data/site-power.json', async (_request, reply) => {
    const now = new Date();
    const points = await deps.svc.queries().sitePower({ from: new Date(now.getTime() - 24 * 3600_000), to: now, bucketMinutes: 15 });
    const site = live().snapshot().site;
    const series: [number, number][] = points.map((p) => [Date.parse(p.at), p.powerW]);
    series.push([now.getTime(), site.powerW]);
    return reply.header('cache-control', 'no-store').send({ points: series, gridLimitW: site.gridLimitW });
  });
}
