import type { FastifyInstance } from 'fastify';
import type { ReservationService, ReservationStatus } from '../../../domain/reservations/reservation-service.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { chargePointIdParam, dateTime, errors, idTagValue, nullable, objectOf, page, paginationQuery, strictObject } from '../schemas.js';
import { reservationViewOf } from '../views.js';
import { notFound, pageOf, requireChargePoint, type PageQuery } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const operator: ApiRouteConfig = { apiRole: 'operator' };

/** Kept in step with RESERVATION_STATUSES of the reservations feature. */
const STATUSES = ['Pending', 'Accepted', 'Faulted', 'Occupied', 'Rejected', 'Unavailable', 'Failed', 'Cancelled', 'Used', 'Expired'] as const;

const reservationView = objectOf({
  id: { type: 'integer', description: 'The OCPP reservationId.' },
  chargePointId: { type: 'string' },
  connectorId: { type: 'integer', description: '0 = any connector of the charge point.' },
  idTag: { type: 'string' },
  parentIdTag: nullable({ type: 'string' }),
  expiryDate: dateTime,
  status: {
    type: 'string',
    enum: STATUSES,
    description: "Pending while ReserveNow is in flight; then the charge point's answer (Accepted, Faulted, Occupied, Rejected, Unavailable), Failed (no answer), and later Used, Cancelled or Expired.",
  },
  transactionId: nullable({ type: 'integer', description: 'The transaction that used it.' }),
  createdAt: nullable(dateTime),
  updatedAt: nullable(dateTime),
});

const reservationId = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;

/** Reservations, delegating to the 'reservations' service (501 when that feature is not installed). */
export function registerReservationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const service = () => ctx.services.get<ReservationService>('reservations');
  const em = () => ctx.orm.em.fork();

  app.get<{ Querystring: PageQuery & { chargePointId?: string; status?: ReservationStatus } }>(
    '/reservations',
    {
      config: viewer,
      schema: {
        tags: ['reservations'],
        summary: 'List reservations, newest first',
        querystring: strictObject({ ...paginationQuery, chargePointId: chargePointIdParam, status: { type: 'string', enum: STATUSES } }),
        response: { 200: page(reservationView, 'Reservations, newest first.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const { items, total } = await ctx.services.get('queries').reservations(q);
      return pageOf(items, total, q);
    },
  );

  app.get<{ Params: { id: number } }>(
    '/reservations/:id',
    {
      config: viewer,
      schema: {
        tags: ['reservations'],
        summary: 'One reservation',
        params: strictObject({ id: reservationId }, ['id']),
        response: { 200: reservationView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await ctx.services.get('queries').reservation(request.params.id);
      if (!row) throw notFound(`reservation ${request.params.id} not found`);
      return row;
    },
  );

  app.post<{ Params: { id: string }; Body: { connectorId: number; idTag: string; expiryDate: string; parentIdTag?: string | null } }>(
    '/charge-points/:id/reservations',
    {
      config: { ...operator, waitsForChargePoint: true },
      schema: {
        tags: ['reservations'],
        summary: 'Reserve a connector (0 = any) for an idTag until expiryDate',
        description:
          'Sends ReserveNow and stores the reservation. A refusal by the charge point (Occupied, Faulted, Unavailable, Rejected) is the ' +
          'reservation\'s `status` (still 201); no answer → 502/504 and the reservation is Failed. parentIdTag defaults to the idTag\'s parent.',
        params: strictObject({ id: chargePointIdParam }, ['id']),
        body: strictObject(
          {
            connectorId: { type: 'integer', minimum: 0 },
            idTag: idTagValue,
            expiryDate: { ...dateTime, description: 'Must be in the future.' },
            parentIdTag: nullable(idTagValue),
          },
          ['connectorId', 'idTag', 'expiryDate'],
        ),
        response: { 201: reservationView, ...errors(400, 401, 403, 404, 409, 501, 502, 504) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await requireChargePoint(em(), id);
      const body = request.body;
      const reservation = await service().reserve({
        chargePointId: id,
        connectorId: body.connectorId,
        idTag: body.idTag,
        expiryDate: body.expiryDate,
        ...(body.parentIdTag !== undefined ? { parentIdTag: body.parentIdTag } : {}),
        actor: actorOf(request),
      });
      return reply.code(201).send(reservationViewOf(reservation));
    },
  );

  app.post<{ Params: { id: number } }>(
    '/reservations/:id/cancel',
    {
      config: { ...operator, waitsForChargePoint: true },
      schema: {
        tags: ['reservations'],
        summary: 'Cancel a reservation (CancelReservation)',
        description: "Accepted → the reservation is Cancelled; Rejected → it stays as it was. 409 when it is no longer cancellable or the charge point is offline.",
        params: strictObject({ id: reservationId }, ['id']),
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['Accepted', 'Rejected'] }, reservation: reservationView } },
          ...errors(400, 401, 403, 404, 409, 501, 502, 504),
        },
      },
    },
    async (request) => {
      const result = await service().cancel(request.params.id, actorOf(request));
      return { status: result.status, reservation: reservationViewOf(result.reservation) };
    },
  );
}
