import type { FastifyInstance } from 'fastify';
import { CsmsError, CsmsErrorCode } from '../../../kernel/errors.js';
import { withCommandDefaults } from '../../../ocpp/command-context.js';
import { createOcpp16Validator } from '../../../ocpp/ocpp16-validator.js';
import { CENTRAL_SYSTEM_ACTIONS, type CentralSystemAction, type CentralSystemActions } from '../../../ocpp/v16/central-system-messages.js';
import { TransactionSchema } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { describeValidationErrors } from '../api-errors.js';
import { ocppCommandSchemas } from '../ocpp-command-schemas.js';
import { chargePointIdParam, errors, strictObject } from '../schemas.js';
import { requireChargePoint } from './lookups.js';

const operator: ApiRouteConfig = { apiRole: 'operator' };

const SUMMARIES: Record<CentralSystemAction, string> = {
  CancelReservation: 'Cancel a reservation on the charge point',
  ChangeAvailability: 'Make a connector (0 = all) Operative or Inoperative',
  ChangeConfiguration: 'Set a configuration key',
  ClearCache: "Clear the charge point's authorisation cache",
  ClearChargingProfile: 'Clear charging profiles',
  DataTransfer: 'Send a vendor-specific DataTransfer',
  GetCompositeSchedule: 'Get the composite charging schedule of a connector',
  GetConfiguration: 'Read configuration keys (all when `key` is absent)',
  GetDiagnostics: 'Ask the charge point to upload diagnostics to a location',
  GetLocalListVersion: 'Read the local authorisation list version',
  RemoteStartTransaction: 'Start a transaction for an idTag (optionally with a charging profile)',
  RemoteStopTransaction: 'Stop a transaction of this charge point',
  ReserveNow: 'Reserve a connector (prefer the reservations endpoints, which track the reservation)',
  Reset: 'Soft or Hard reset',
  SendLocalList: 'Send a local authorisation list (Full or Differential)',
  SetChargingProfile: 'Set a charging profile (prefer the charging-profile endpoints, which store it)',
  TriggerMessage: 'Ask the charge point to send a message now',
  UnlockConnector: 'Unlock a connector',
  UpdateFirmware: 'Ask the charge point to download and install firmware',
};

interface OcppValidationError extends Error {
  details?: { errors?: Array<{ instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }> };
}

/**
 * One endpoint per CS→CP action: `POST /charge-points/{id}/commands/{Action}` with the OCPP request
 * as the body, answered with the charge point's response. The body is checked against the OCPP 1.6
 * schema before anything else (unknown fields included, naming the field); the call goes through the
 * CommandService (serialised per charge point, timeout, boot-state rules, audit log with actor
 * `api:<key name>`).
 */
export function registerCommandRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const validator = createOcpp16Validator();
  const em = () => ctx.orm.em.fork();

  for (const action of CENTRAL_SYSTEM_ACTIONS) {
    const schemas = ocppCommandSchemas(action);
    app.post<{ Params: { id: string }; Querystring: { timeoutMs?: number }; Body: CentralSystemActions[typeof action]['request'] }>(
      `/charge-points/:id/commands/${action}`,
      {
        config: operator,
        preValidation: async (request) => {
          // An action without fields may be posted without a body.
          if (request.body === undefined || request.body === null) request.body = {} as never;
          try {
            validator.validate(`urn:${action}.req`, request.body);
          } catch (err) {
            const ajvErrors = (err as OcppValidationError).details?.errors ?? [];
            const { message, fields } = describeValidationErrors(ajvErrors, `${action} request`);
            throw new CsmsError(CsmsErrorCode.COMMAND_INVALID, ajvErrors.length ? message : `invalid ${action} request: ${(err as Error).message}`, {
              details: { fields },
            });
          }
        },
        schema: {
          tags: ['commands'],
          summary: SUMMARIES[action],
          description:
            `Sends ${action} (OCPP 1.6) and returns the charge point's answer. Errors: 404 unknown charge point, 409 offline or not allowed in its ` +
            'boot state (Pending: no RemoteStart/Stop; Rejected: nothing), 502 CALLERROR (`error.rpcErrorCode`), 504 no answer in time.',
          params: strictObject({ id: chargePointIdParam }, ['id']),
          querystring: strictObject({
            timeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, description: 'Overrides the call timeout (ms) for this call.' },
          }),
          body: schemas.request,
          response: { 200: { ...schemas.response, description: "The charge point's answer." }, ...errors(400, 401, 403, 404, 409, 502, 504) },
        },
      },
      async (request) => {
        const { id } = request.params;
        await requireChargePoint(em(), id);
        if (action === 'RemoteStopTransaction') {
          // Scoped: stopping another charge point's transaction through this one is "not found".
          const txId = (request.body as CentralSystemActions['RemoteStopTransaction']['request']).transactionId;
          const tx = await em().findOne(TransactionSchema, { id: txId });
          if (!tx || (tx.chargePoint as unknown as string) !== id) {
            throw new CsmsError(CsmsErrorCode.NOT_FOUND, `transaction ${txId} not found on charge point "${id}"`, { details: { fields: { transactionId: 'not a transaction of this charge point' } } });
          }
        }
        if (action === 'SendLocalList' && ctx.services.has('localList')) {
          // Through the local list service: in line with its automatic syncs, the stored version
          // follows, and the automatic sync of this charge point is turned off (docs/rest-api.md).
          return withCommandDefaults({ timeoutMs: request.query.timeoutMs }, () =>
            ctx.services.get('localList').send(id, request.body as CentralSystemActions['SendLocalList']['request'], { actor: actorOf(request) }),
          );
        }
        return ctx.commands.send(id, action, request.body, {
          actor: actorOf(request),
          ...(request.query.timeoutMs !== undefined ? { timeoutMs: request.query.timeoutMs } : {}),
        });
      },
    );
  }
}
