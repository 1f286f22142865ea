import type { FastifyInstance } from 'fastify';
import { sendHtml, state, type DashboardDeps } from '../http/context.js';
import { insightsPage } from '../views/insights-view.js';

export function registerInsightsRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  app.get('/insights', async (request, reply) => {
    const { view } = state(request);
    if (!deps.svc.hasMl()) return sendHtml(reply, insightsPage(view, null));
    return sendHtml(reply, insightsPage(view, null));
  });
}
