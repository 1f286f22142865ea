import type { FastifyInstance } from 'fastify';
import type { LoadManagementService, StoredChargingProfile } from '../../../domain/smart-charging/load-management-service.js';
import { CsmsError, CsmsErrorCode } from '../../../kernel/errors.js';
import { createOcpp16Validator } from '../../../ocpp/ocpp16-validator.js';
import type { CentralSystemActions } from '../../../ocpp/v16/central-system-messages.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { describeValidationErrors } from '../api-errors.js';
import { ocppCommandSchemas } from '../ocpp-command-schemas.js';
import { chargePointIdParam, dateTime, errors, nullable, objectOf, strictObject } from '../schemas.js';
import { iso } from '../views.js';
import { requireChargePoint } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const operator: ApiRouteConfig = { apiRole: 'operator' };

const storedProfileView = objectOf({
  id: { type: 'integer', description: 'Row id (not the OCPP chargingProfileId).' },
  chargePointId: nullable({ type: 'string' }),
  connectorId: { type: 'integer' },
  chargingProfileId: { type: 'integer' },
  stackLevel: { type: 'integer' },
  purpose: { type: 'string', enum: ['ChargePointMaxProfile', 'TxDefaultProfile', 'TxProfile'] },
  kind: { type: 'string', enum: ['Absolute', 'Recurring', 'Relative'] },
  recurrencyKind: nullable({ type: 'string', enum: ['Daily', 'Weekly', null] }),
  validFrom: nullable(dateTime),
  validTo: nullable(dateTime),
  transactionId: nullable({ type: 'integer' }),
  schedule: { type: 'object', additionalProperties: true, description: 'The OCPP ChargingSchedule as sent.' },
  status: { type: 'string', description: "Pending, Accepted, Rejected, NotSupported or Cleared." },
  createdAt: nullable(dateTime),
  loadManagement: { type: 'boolean', description: 'Owned by site load management (ids ≥ 1,000,000,000); do not change it by hand.' },
});

function storedProfileViewOf(p: StoredChargingProfile) {
  return { ...p, validFrom: iso(p.validFrom), validTo: iso(p.validTo), createdAt: iso(p.createdAt) };
}

const idParams = strictObject({ id: chargePointIdParam }, ['id']);

interface OcppValidationError extends Error {
  details?: { errors?: Array<{ instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }> };
}

/**
 * Charging profiles and the site load-management state, delegating to the 'loadManagement' service
 * (501 when that feature is not installed), which checks the rules (id range, purposes, stack
 * level 0 reserved while load management is on) and stores every profile with the charger's answer.
 */
export function registerChargingProfileRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const service = () => ctx.services.get<LoadManagementService>('loadManagement');
  const em = () => ctx.orm.em.fork();
  const validator = createOcpp16Validator();

  function checkOcpp(schemaId: string, body: unknown, what: string): void {
    try {
      validator.validate(schemaId, body);
    } catch (err) {
      const ajvErrors = (err as OcppValidationError).details?.errors ?? [];
      const { message, fields } = describeValidationErrors(ajvErrors, what);
      throw new CsmsError(CsmsErrorCode.COMMAND_INVALID, ajvErrors.length ? message : `invalid ${what}: ${(err as Error).message}`, { details: { fields } });
    }
  }

  app.get(
    '/load-management',
    {
      config: viewer,
      schema: {
        tags: ['charging profiles'],
        summary: 'Site load management: the limit, the current allocation per transaction and the fail-safe limits',
        response: { 200: { type: 'object', additionalProperties: true }, ...errors(401, 403, 501) },
      },
    },
    async () => service().status(),
  );

  app.get<{ Params: { id: string }; Querystring: { includeCleared?: boolean } }>(
    '/charge-points/:id/charging-profiles',
    {
      config: viewer,
      schema: {
        tags: ['charging profiles'],
        summary: 'Charging profiles stored for a charge point, newest first',
        params: idParams,
        querystring: strictObject({ includeCleared: { type: 'boolean', default: false, description: 'Also profiles that were cleared or replaced.' } }),
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: storedProfileView } } }, ...errors(400, 401, 403, 404, 501) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await requireChargePoint(em(), id);
      const rows = await service().profiles({ chargePointId: id, includeCleared: request.query.includeCleared ?? false });
      return { items: rows.map(storedProfileViewOf) };
    },
  );

  const setSchema = ocppCommandSchemas('SetChargingProfile').request;
  app.post<{ Params: { id: string }; Body: CentralSystemActions['SetChargingProfile']['request'] }>(
    '/charge-points/:id/charging-profiles',
    {
      config: { ...operator, waitsForChargePoint: true },
      preValidation: async (request) => checkOcpp('urn:SetChargingProfile.req', request.body ?? {}, 'charging profile'),
      schema: {
        tags: ['charging profiles'],
        summary: 'Send a charging profile (SetChargingProfile) and store it with the answer',
        description:
          'Body = the OCPP SetChargingProfile request. A TxProfile needs a transaction running on the connector (its transactionId is filled in); ' +
          'chargingProfileId ≥ 1,000,000,000 and, while a site limit is set, stackLevel 0 belong to load management (409/400). ' +
          'The answer `status` is the charger\'s (Accepted, Rejected, NotSupported).',
        params: idParams,
        body: setSchema,
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['Accepted', 'Rejected', 'NotSupported'] }, profile: storedProfileView } },
          ...errors(400, 401, 403, 404, 409, 501, 502, 504),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await requireChargePoint(em(), id);
      const { connectorId, csChargingProfiles } = request.body;
      const result = await service().setChargingProfile(id, connectorId, csChargingProfiles, actorOf(request));
      return { status: result.status, profile: storedProfileViewOf(result.profile) };
    },
  );

  const clearSchema = ocppCommandSchemas('ClearChargingProfile').request;
  app.post<{ Params: { id: string }; Body: CentralSystemActions['ClearChargingProfile']['request'] }>(
    '/charge-points/:id/charging-profiles/clear',
    {
      config: { ...operator, waitsForChargePoint: true },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
        checkOcpp('urn:ClearChargingProfile.req', request.body, 'clear filter');
      },
      schema: {
        tags: ['charging profiles'],
        summary: 'Clear charging profiles (ClearChargingProfile) matching a filter; an empty filter clears all',
        description: 'Stored profiles that match are marked Cleared. Clearing load management\'s own profiles makes it send them again.',
        params: idParams,
        body: clearSchema,
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['Accepted', 'Unknown'] }, cleared: { type: 'integer', description: 'Stored profiles marked Cleared.' } } },
          ...errors(400, 401, 403, 404, 409, 501, 502, 504),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await requireChargePoint(em(), id);
      return service().clearChargingProfile(id, request.body, actorOf(request));
    },
  );
}
