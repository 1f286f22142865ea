import type { FastifyInstance } from 'fastify';
import { AuditLogSchema, OrphanMessageSchema } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { auditEntryView, chargePointIdParam, errors, orphanView, page, paginationQuery, strictObject, timeRangeQuery } from '../schemas.js';
import { auditEntryViewOf, orphanViewOf } from '../views.js';
import { notFound, pageOf, timeRange, type PageQuery } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const operator: ApiRouteConfig = { apiRole: 'operator' };

interface AuditQuery extends PageQuery {
  chargePointId?: string;
  actor?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

interface OrphanQuery extends PageQuery {
  chargePointId?: string;
  action?: 'StopTransaction' | 'MeterValues';
  reviewed?: boolean;
  from?: string;
  to?: string;
}

/** The audit log (operator commands and changes) and orphan messages kept for review. */
export function registerLogRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const em = () => ctx.orm.em.fork();

  app.get<{ Querystring: AuditQuery }>(
    '/audit-log',
    {
      config: viewer,
      schema: {
        tags: ['audit'],
        summary: 'Audit log of commands and changes, newest first',
        description: 'Secrets in requests (the value of ChangeConfiguration AuthorizationKey) are shown as ***.',
        querystring: strictObject({
          ...paginationQuery,
          ...timeRangeQuery,
          chargePointId: chargePointIdParam,
          actor: { type: 'string', maxLength: 64, description: "e.g. api:ops-team, system:load-management" },
          action: { type: 'string', maxLength: 64, description: 'e.g. Reset, RemoteStartTransaction, ChangeSetting, CreateIdTag' },
          outcome: { type: 'string', maxLength: 32, description: 'e.g. accepted, rejected, ok, offline, timeout, call-error, invalid' },
        }),
        response: { 200: page(auditEntryView, 'Audit entries, newest first.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const where: Record<string, unknown> = {};
      if (q.chargePointId !== undefined) where.chargePoint = q.chargePointId;
      if (q.actor !== undefined) where.actor = q.actor;
      if (q.action !== undefined) where.action = q.action;
      if (q.outcome !== undefined) where.outcome = q.outcome;
      const at = timeRange(q);
      if (at) where.at = at;
      const [rows, total] = await em().findAndCount(AuditLogSchema, where, { orderBy: { at: 'desc', id: 'desc' }, limit: q.limit, offset: q.offset });
      return pageOf(rows.map(auditEntryViewOf), total, q);
    },
  );

  app.get<{ Querystring: OrphanQuery }>(
    '/orphans',
    {
      config: viewer,
      schema: {
        tags: ['audit'],
        summary: 'Orphan messages (StopTransaction / MeterValues for unknown or closed transactions), newest first',
        description: 'They were acknowledged to the charge point and kept here for review; they are never attached to a transaction automatically.',
        querystring: strictObject({
          ...paginationQuery,
          ...timeRangeQuery,
          chargePointId: chargePointIdParam,
          action: { type: 'string', enum: ['StopTransaction', 'MeterValues'] },
          reviewed: { type: 'boolean', description: 'Only reviewed (true) or not yet reviewed (false) messages.' },
        }),
        response: { 200: page(orphanView, 'Orphan messages, newest first.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const where: Record<string, unknown> = {};
      if (q.chargePointId !== undefined) where.chargePoint = q.chargePointId;
      if (q.action !== undefined) where.action = q.action;
      if (q.reviewed !== undefined) where.reviewedAt = q.reviewed ? { $ne: null } : null;
      const receivedAt = timeRange(q);
      if (receivedAt) where.receivedAt = receivedAt;
      const [rows, total] = await em().findAndCount(OrphanMessageSchema, where, { orderBy: { receivedAt: 'desc', id: 'desc' }, limit: q.limit, offset: q.offset });
      return pageOf(rows.map(orphanViewOf), total, q);
    },
  );

  app.post<{ Params: { id: number } }>(
    '/orphans/:id/review',
    {
      config: operator,
      schema: {
        tags: ['audit'],
        summary: 'Mark an orphan message as reviewed',
        params: strictObject({ id: { type: 'integer', minimum: 1 } }, ['id']),
        response: { 200: orphanView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const actor = actorOf(request);
      const at = ctx.clock.now();
      const row = await ctx.batcher.run(async (tem) => {
        const orphan = await tem.findOne(OrphanMessageSchema, { id });
        if (!orphan) throw notFound(`no orphan message with id ${id}`);
        if (!orphan.reviewedAt) {
          orphan.reviewedAt = at;
          tem.create(AuditLogSchema, { at, actor, action: 'ReviewOrphanMessage', chargePoint: orphan.chargePoint as unknown as string, request: { id }, result: null, outcome: 'ok' });
        }
        return orphan;
      });
      return orphanViewOf(row);
    },
  );
}
