import type { FastifyInstance } from 'fastify';
import { ChargePointRemoval } from '../../../domain/charge-points/charge-point-removal.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { chargePointIdParam, errors, objectOf, strictObject, transactionView } from '../schemas.js';
import { notFound, requireChargePoint } from './lookups.js';

const operator: ApiRouteConfig = { apiRole: 'operator' };
const admin: ApiRouteConfig = { apiRole: 'admin' };

/**
 * What an operator does when the OCPP side cannot: close a transaction the charger never stopped,
 * and delete a charge point that is gone for good.
 */
export function registerOperatorRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: { id: number }; Body: { reason: string; meterStopWh?: number } }>(
    '/transactions/:id/close',
    {
      config: operator,
      schema: {
        tags: ['transactions'],
        summary: 'Close a transaction left open (the charger never sent its StopTransaction)',
        description:
          'Completed now (server time), stop reason `Other`, flagged `closed-by-operator`; meterStop = `meterStopWh` when given, else the last stored ' +
          'energy register reading (else meterStart); priced like a Stop. Audited as `CloseTransaction` with the reason. A StopTransaction the charger ' +
          'sends later is kept as an orphan for review. 409 when it is not Active.',
        params: strictObject({ id: { type: 'integer', minimum: 1 } }, ['id']),
        body: strictObject(
          {
            reason: { type: 'string', minLength: 3, maxLength: 500, description: 'Why it is closed by hand (kept in the audit log).' },
            meterStopWh: { type: 'integer', minimum: 0, description: 'The meter reading at the end, when known (e.g. read off the charger).' },
          },
          ['reason'],
        ),
        response: { 200: transactionView, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await ctx.services.get('transactions').closeByOperator(id, {
        reason: request.body.reason,
        actor: actorOf(request),
        ...(request.body.meterStopWh !== undefined ? { meterStopWh: request.body.meterStopWh } : {}),
      });
      const row = await ctx.services.get('queries').transaction(id);
      if (!row) throw notFound(`transaction ${id} not found`);
      return row;
    },
  );

  const removal = new ChargePointRemoval({
    orm: ctx.orm,
    batcher: ctx.batcher,
    sessions: ctx.sessions,
    clock: ctx.clock,
    log: ctx.log,
    onRemoved: (id) => {
      const live = ctx.services.has('live') ? (ctx.services.get('live') as unknown as { forget?: (id: string) => void }) : undefined;
      live?.forget?.(id);
      if (ctx.services.has('localList')) ctx.services.get('localList').forget(id);
    },
  });

  app.delete<{ Params: { id: string }; Querystring: { withHistory?: boolean } }>(
    '/charge-points/:id',
    {
      config: admin,
      schema: {
        tags: ['charge points'],
        summary: 'Delete a charge point',
        description:
          'Deletes the charge point with its connectors, status history, local list state, stored charging profiles, reservations and orphan messages ' +
          '(audited `DeleteChargePoint`). Refused with 409 and the reason (`connected`, `open-transactions`, `has-history`) while it is connected, while ' +
          'it has an Active transaction (close it first: POST /transactions/{id}/close), and while it has completed transactions unless `withHistory=true` ' +
          '(which deletes them and their meter samples too).',
        params: strictObject({ id: chargePointIdParam }, ['id']),
        querystring: strictObject({ withHistory: { type: 'boolean', default: false, description: 'Also delete its transactions and meter samples.' } }),
        response: {
          200: objectOf({
            id: { type: 'string' },
            deleted: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Rows deleted with it, by table.' },
          }),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await requireChargePoint(ctx.orm.em.fork(), id);
      return removal.remove(id, { actor: actorOf(request), withHistory: request.query.withHistory ?? false });
    },
  );
}
