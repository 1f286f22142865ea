import type { FastifyInstance } from 'fastify';
import type { LocalListState } from '../../../domain/local-list/local-list-service.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { chargePointIdParam, dateTime, errors, nullable, objectOf, strictObject } from '../schemas.js';
import { iso } from '../views.js';
import { requireChargePoint } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const operator: ApiRouteConfig = { apiRole: 'operator' };

const localListView = objectOf({
  chargePointId: { type: 'string' },
  version: { type: 'integer', description: 'Our list version on this charge point (0 = never synced).' },
  status: { type: 'string', description: 'Last outcome: Accepted, Failed, NotSupported, VersionMismatch, or Pending (never synced).' },
  syncedAt: nullable(dateTime),
  autoSync: { type: 'boolean', description: 'Synced automatically after its boot and after IdTag changes.' },
  entries: { type: 'integer', description: 'Entries the charge point holds, as far as we know.' },
  idTags: { type: 'array', items: { type: 'string' }, description: 'Those entries, sorted.' },
});

const syncResultView = objectOf({
  chargePointId: { type: 'string' },
  outcome: { type: 'string', enum: ['Accepted', 'UpToDate', 'Failed', 'NotSupported', 'VersionMismatch'] },
  updateType: nullable({ type: 'string', enum: ['Full', 'Differential', null] }),
  chargePointVersion: nullable({ type: 'integer' }),
  version: { type: 'integer' },
  calls: { type: 'integer' },
  entriesSent: { type: 'integer' },
  entries: { type: 'integer' },
  truncated: { type: 'integer' },
});

function viewOf(chargePointId: string, state: LocalListState | null) {
  const entries = state?.entries ?? {};
  return {
    chargePointId,
    version: state?.version ?? 0,
    status: state?.status ?? 'Pending',
    syncedAt: iso(state?.syncedAt ?? null),
    autoSync: state?.autoSync ?? true,
    entries: Object.keys(entries).length,
    idTags: Object.keys(entries).sort(),
  };
}

const params = strictObject({ id: chargePointIdParam }, ['id']);

/**
 * The local authorisation list of a charge point as a resource (the `localList` service; 501 when
 * that feature is not installed): its version and state, a sync on demand, and its automatic sync.
 */
export function registerLocalListRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const service = () => ctx.services.get('localList');

  app.get<{ Params: { id: string } }>(
    '/charge-points/:id/local-list',
    {
      config: viewer,
      schema: { tags: ['local list'], summary: "The charge point's local authorisation list: version, last outcome, automatic sync, entries", params, response: { 200: localListView, ...errors(401, 403, 404, 501) } },
    },
    async (request) => {
      const { id } = request.params;
      await requireChargePoint(ctx.orm.em.fork(), id);
      return viewOf(id, await service().state(id));
    },
  );

  app.post<{ Params: { id: string }; Body: { full?: boolean } | undefined }>(
    '/charge-points/:id/local-list/sync',
    {
      config: { ...operator, waitsForChargePoint: true },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        tags: ['local list'],
        summary: 'Sync the local list with the IdTag table now',
        description:
          'GetLocalListVersion, then a Differential update of what changed (or Full when out of step, or with `full: true`). Works with the automatic sync ' +
          'off too. 409 offline, 504 no answer in time, 502 CALLERROR or connection lost.',
        params,
        body: strictObject({ full: { type: 'boolean', default: false, description: 'Send the whole list.' } }),
        response: { 200: syncResultView, ...errors(400, 401, 403, 404, 409, 501, 502, 504) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await requireChargePoint(ctx.orm.em.fork(), id);
      return service().sync(id, { actor: actorOf(request), full: request.body?.full ?? false });
    },
  );

  app.put<{ Params: { id: string }; Body: { enabled: boolean } }>(
    '/charge-points/:id/local-list/auto-sync',
    {
      config: operator,
      schema: {
        tags: ['local list'],
        summary: 'Turn the automatic local list sync of this charge point on or off',
        description:
          'Off: no sync after its boot or after IdTag changes (a manual `commands/SendLocalList` turns it off too, so that the automatic Full sync after ' +
          'a boot cannot overwrite the operator\'s list). On: the next automatic sync brings it in line with the IdTag table. Audited.',
        params,
        body: strictObject({ enabled: { type: 'boolean' } }, ['enabled']),
        response: { 200: localListView, ...errors(400, 401, 403, 404, 501) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await requireChargePoint(ctx.orm.em.fork(), id);
      return viewOf(id, await service().setAutoSync(id, request.body.enabled, actorOf(request)));
    },
  );
}
