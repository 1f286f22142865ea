import type { FastifyInstance } from 'fastify';
import { AuditLogSchema, OrphanMessageSchema } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { auditEntryView, chargePointIdParam, errors, orphanView, page, paginationQuery, strictObject, timeRangeQuery } from '../schemas.js';
import { orphanViewOf } from '../views.js';
import { notFound, pageOf, type PageQuery } from './lookups.js';

const dateOf = (text: string | undefined): Date | undefined => (text === undefined ? undefined : new Date(text));

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
  const queries = () => ctx.services.get('queries');

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
      const { items, total } = await queries().auditLog({ ...q, from: dateOf(q.from), to: dateOf(q.to) });
      return pageOf(items, total, q);
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
      const { items, total } = await queries().orphans({ ...q, from: dateOf(q.from), to: dateOf(q.to) });
      return pageOf(items, total, q);
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
