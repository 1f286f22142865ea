import type { FastifyInstance } from 'fastify';
import { sendHtml, state, type DashboardDeps } from '../http/context.js';
import type { MlLike } from '../ml-api.js';
import { insightsPage } from '../views/insights-view.js';

export function registerInsightsRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const ml = () => (deps.svc.hasMl() ? (deps.svc.ml() as MlLike) : null);

  app.get('/insights', async (request, reply) => {
    const { view } = state(request);
    const service = ml();
    if (!service) return sendHtml(reply, insightsPage(view, null));
    return sendHtml(reply, insightsPage(view, {
      status: service.status(),
      forecast: service.forecast({ hours: 48 }),
      availability: service.availability(),
      anomalies: service.sessionAnomalies({ limit: 10 }),
      segments: service.segments(),
      advice: service.advice(),
    }));
  });

  /** The forecast with the last 48 h of measured site power, aligned for uPlot (kW). */
  app.get('/insights/forecast.json', async (_request, reply) => {
    const service = ml();
    const answer = service?.forecast({ hours: 48 });
    if (!answer || answer.status !== 'ok') return reply.send({ x: [], actualKw: [], forecastKw: [], lowKw: [], highKw: [] });
    const now = Date.now();
    const actual = await deps.svc.queries().sitePower({ from: new Date(now - 48 * 3600_000), to: new Date(now), bucketMinutes: 60 });
    const byTime = new Map<number, { actual?: number; kw?: number; low?: number; high?: number }>();
    for (const a of actual) byTime.set(Date.parse(a.at), { actual: a.powerW / 1000 });
    for (const p of answer.result.points) byTime.set(Date.parse(p.at), { ...byTime.get(Date.parse(p.at)), kw: p.kw, low: p.low, high: p.high });
    const xs = [...byTime.keys()].sort((a, b) => a - b);
    const col = (k: 'actual' | 'kw' | 'low' | 'high') => xs.map((x) => byTime.get(x)![k] ?? null);
    return reply.header('cache-control', 'no-store').send({ x: xs.map((x) => x / 1000), actualKw: col('actual'), forecastKw: col('kw'), lowKw: col('low'), highKw: col('high') });
  });
}
