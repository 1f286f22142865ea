import type { FastifyInstance } from 'fastify';
import type { QueryService } from '../core-api.js';
import { sendHtml, state, type DashboardDeps } from '../http/context.js';
import { AUDIT_PAGE, auditPage, type AuditFilter } from '../views/audit-view.js';

export function registerAuditRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  app.get('/audit', { config: { dashboardRole: 'operator' } }, async (request, reply) => {
    const { view } = state(request);
    const query = request.query as Record<string, string | undefined>;
    const f: AuditFilter = {
      actor: (query.actor ?? '').trim().slice(0, 100),
      action: (query.action ?? '').trim().slice(0, 64),
      chargePointId: (query.chargePointId ?? '').trim().slice(0, 64),
      page: Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1),
    };
    const result = await deps.svc.queries().auditLog({
      ...(f.actor ? { actor: f.actor } : {}),
      ...(f.action ? { action: f.action } : {}),
      ...(f.chargePointId ? { chargePointId: f.chargePointId } : {}),
      limit: AUDIT_PAGE,
      offset: (f.page - 1) * AUDIT_PAGE,
    });
    return sendHtml(reply, auditPage(view, f, result));
  });
}
