import type { FastifyInstance } from 'fastify';
import { ChargingProfileLibrary, type LibraryProfileInput } from '../../../domain/smart-charging/charging-profile-library.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { chargePointIdParam, dateTime, errors, nullable, objectOf, strictObject } from '../schemas.js';
import { notFound, requireChargePoint } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const operator: ApiRouteConfig = { apiRole: 'operator' };

const scheduleSchema = {
  type: 'object',
  additionalProperties: true,
  description: 'The OCPP 1.6 ChargingSchedule: { chargingRateUnit: "A"|"W", chargingSchedulePeriod: [{ startPeriod, limit, numberPhases? }], duration?, startSchedule?, minChargingRate? }.',
};

const profileFields = {
  name: { type: 'string', minLength: 1, maxLength: 64, description: 'Unique name, e.g. "Night 16 A".' },
  description: nullable({ type: 'string', maxLength: 255 }),
  stackLevel: { type: 'integer', minimum: 0 },
  chargingProfilePurpose: { type: 'string', enum: ['ChargePointMaxProfile', 'TxDefaultProfile', 'TxProfile'] },
  chargingProfileKind: { type: 'string', enum: ['Absolute', 'Recurring', 'Relative'] },
  recurrencyKind: nullable({ type: 'string', enum: ['Daily', 'Weekly', null] }),
  validFrom: nullable(dateTime),
  validTo: nullable(dateTime),
  chargingSchedule: scheduleSchema,
};

const libraryView = objectOf({
  id: { type: 'integer', description: 'The OCPP chargingProfileId this profile is sent with (picked by the central system).' },
  ...profileFields,
  createdAt: dateTime,
  updatedAt: dateTime,
});

const profileBody = strictObject(profileFields, ['name', 'stackLevel', 'chargingProfilePurpose', 'chargingProfileKind', 'chargingSchedule']);
const profileIdParams = strictObject({ profileId: { type: 'integer', minimum: 1 } }, ['profileId']);

/**
 * The charging-profile library: profiles stored with a name and a description, the OCPP
 * `chargingProfileId` picked by the central system (list ids ARE the OCPP ids), applied to any
 * charge point through load management and the command service.
 */
export function registerChargingProfileLibraryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const library = new ChargingProfileLibrary({ orm: ctx.orm, batcher: ctx.batcher, clock: ctx.clock, loadManagement: () => ctx.services.get('loadManagement') });
  // Fastify's schema validation is set aside (attachValidation) for the library's own, which names every bad field.
  const inputOf = (body: unknown) => body as LibraryProfileInput;

  app.get('/charging-profiles', {
    config: viewer,
    schema: { tags: ['charging profiles'], summary: 'The charging-profile library', response: { 200: objectOf({ items: { type: 'array', items: libraryView }, total: { type: 'integer' } }), ...errors(401, 403) } },
  }, async () => {
    const items = await library.list();
    return { items, total: items.length };
  });

  app.post<{ Body: unknown }>('/charging-profiles', {
    config: operator,
    schema: {
      tags: ['charging profiles'],
      summary: 'Store a profile in the library; the answer\'s `id` is its OCPP chargingProfileId',
      body: profileBody,
      response: { 201: libraryView, ...errors(400, 401, 403, 409) },
    },
  }, async (request, reply) => reply.code(201).send(await library.create(inputOf(request.body), actorOf(request))));

  app.get<{ Params: { profileId: number } }>('/charging-profiles/:profileId', {
    config: viewer,
    schema: { tags: ['charging profiles'], summary: 'One library profile', params: profileIdParams, response: { 200: libraryView, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const profile = await library.get(request.params.profileId);
    if (!profile) throw notFound(`no charging profile ${request.params.profileId} in the library`);
    return profile;
  });

  app.put<{ Params: { profileId: number }; Body: unknown }>('/charging-profiles/:profileId', {
    config: operator,
    schema: {
      tags: ['charging profiles'],
      summary: 'Replace a library profile (same OCPP id; charge points it was applied to keep the old one until it is applied again)',
      params: profileIdParams,
      body: profileBody,
      response: { 200: libraryView, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request) => library.replace(request.params.profileId, inputOf(request.body), actorOf(request)));

  app.delete<{ Params: { profileId: number } }>('/charging-profiles/:profileId', {
    config: operator,
    schema: { tags: ['charging profiles'], summary: 'Delete a library profile (charge points keep what they were sent)', params: profileIdParams, response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => {
    await library.remove(request.params.profileId, actorOf(request));
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string }; Body: { profileId: number; connectorId: number } }>('/charge-points/:id/charging-profiles/apply', {
    config: { ...operator, waitsForChargePoint: true },
    schema: {
      tags: ['charging profiles'],
      summary: 'Apply a library profile to a connector (0 = the whole charge point): SetChargingProfile',
      description:
        'Sent with the library id as chargingProfileId, stored on the charge point with its answer (GET /charge-points/{id}/charging-profiles). ' +
        'A TxProfile needs a running transaction on the connector (409). 409 offline, 502 CALLERROR or connection lost, 504 no answer in time.',
      params: strictObject({ id: chargePointIdParam }, ['id']),
      body: strictObject({ profileId: { type: 'integer', minimum: 1 }, connectorId: { type: 'integer', minimum: 0 } }, ['profileId', 'connectorId']),
      response: {
        200: objectOf({
          status: { type: 'string', enum: ['Accepted', 'Rejected', 'NotSupported'] },
          chargePointId: { type: 'string' },
          connectorId: { type: 'integer' },
          chargingProfileId: { type: 'integer' },
        }),
        ...errors(400, 401, 403, 404, 409, 501, 502, 504),
      },
    },
  }, async (request) => {
    const { id } = request.params;
    await requireChargePoint(ctx.orm.em.fork(), id);
    const result = await library.apply(request.body.profileId, { chargePointId: id, connectorId: request.body.connectorId }, actorOf(request));
    return { status: result.status, chargePointId: id, connectorId: request.body.connectorId, chargingProfileId: request.body.profileId };
  });
}
