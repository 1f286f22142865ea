import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';

/** The one error body of the REST API. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    /** Field → problem, for input errors (a form shows each next to its field). */
    fields?: Record<string, string>;
    /** The OCPP-J error code of a CALLERROR the charge point answered (CALL_ERROR only). */
    rpcErrorCode?: string;
  };
}

/**
 * HTTP status per error code. A charge point that is not connected is 409 (the request conflicts
 * with the charge point's state; the API itself is up), not 503, which generic clients and
 * proxies read as "this server is unavailable, retry it".
 */
const STATUS: Partial<Record<CsmsErrorCode, number>> = {
  [CsmsErrorCode.INPUT_INVALID]: 400,
  [CsmsErrorCode.COMMAND_INVALID]: 400,
  [CsmsErrorCode.SETTING_INVALID]: 400,
  [CsmsErrorCode.UNAUTHORIZED]: 401,
  [CsmsErrorCode.FORBIDDEN]: 403,
  [CsmsErrorCode.NOT_FOUND]: 404,
  [CsmsErrorCode.CHARGE_POINT_UNKNOWN]: 404,
  [CsmsErrorCode.CONFLICT]: 409,
  [CsmsErrorCode.CHARGE_POINT_OFFLINE]: 409,
  [CsmsErrorCode.CALL_NOT_ALLOWED]: 409,
  [CsmsErrorCode.SERVICE_MISSING]: 501,
  [CsmsErrorCode.CALL_ERROR]: 502,
  [CsmsErrorCode.CONNECTION_LOST]: 502,
  [CsmsErrorCode.RATE_LIMITED]: 429,
  [CsmsErrorCode.CLOSED]: 503,
  [CsmsErrorCode.CALL_TIMEOUT]: 504,
};

export function httpStatusFor(code: string): number {
  return STATUS[code as CsmsErrorCode] ?? 500;
}

/** JSON schema of ApiErrorBody (for route `response` entries and the OpenAPI document). */
export const errorResponseSchema = {
  $id: 'ApiError',
  type: 'object',
  description: 'Every error of the API has this shape.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A CSMS_ERR_* code, e.g. CSMS_ERR_INPUT_INVALID.' },
        message: { type: 'string', description: 'What was wrong and how to fix it.' },
        fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'Field → problem, for input errors.' },
        rpcErrorCode: { type: 'string', description: 'OCPP-J error code of the CALLERROR the charge point answered.' },
      },
    },
  },
} as const;

export function errorBody(code: string, message: string, extra: { fields?: Record<string, string>; rpcErrorCode?: string } = {}): ApiErrorBody {
  return { error: { code, message, ...extra } };
}

export function sendError(reply: FastifyReply, status: number, body: ApiErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `body.csChargingProfiles.stackLevel` style name of the field an Ajv error is about. */
function fieldOf(error: AjvError): string {
  const path = error.instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') path.push(error.params.missingProperty);
  if (error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string') path.push(error.params.additionalProperty);
  return path.join('.');
}

function problemOf(error: AjvError): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'minProperties' && error.instancePath === '') return 'must contain at least one field';
  if (error.keyword === 'type' && error.instancePath === '' && error.params.type === 'object') return 'must be a JSON object (content-type: application/json)';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'enum' && Array.isArray(error.params.allowedValues)) return `must be one of ${error.params.allowedValues.join(', ')}`;
  return error.message ?? `fails ${error.keyword}`;
}

/** Turns Ajv errors (Fastify's, or ocpp-rpc's validator's) into a message naming the field plus a fields map. */
export function describeValidationErrors(errors: readonly AjvError[], where: string): { message: string; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  for (const error of errors) {
    const field = fieldOf(error) || where;
    fields[field] ??= problemOf(error);
  }
  const [first] = Object.entries(fields);
  const message = first ? `invalid ${where}: ${first[0]} ${first[1]}` : `invalid ${where}`;
  return { message, fields };
}

/**
 * The error and not-found handlers of the API scope: every failure becomes `{ error: { code,
 * message, fields? } }` with the status of its code. Unexpected errors are logged and answered
 * 500 without internals.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isCsmsError(err)) {
      const status = httpStatusFor(err.code);
      const fields = err.details.fields as Record<string, string> | undefined;
      const rpcErrorCode = err.details.rpcErrorCode as string | undefined;
      if (err.code === CsmsErrorCode.UNAUTHORIZED) {
        const invalid = err.details.reason === 'invalid';
        void reply.header('www-authenticate', invalid ? 'Bearer realm="charge-it", error="invalid_token"' : 'Bearer realm="charge-it"');
      }
      if (status >= 500 && status !== 502 && status !== 504) request.log.error({ err }, 'API request failed');
      return sendError(reply, status, errorBody(err.code, err.message, { ...(fields ? { fields } : {}), ...(rpcErrorCode ? { rpcErrorCode } : {}) }));
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const { message, fields } = describeValidationErrors(err.validation as unknown as AjvError[], where);
      return sendError(reply, 400, errorBody(CsmsErrorCode.INPUT_INVALID, message, { fields }));
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, unsupported media type, body too large, ...
      return sendError(reply, status, errorBody(CsmsErrorCode.INPUT_INVALID, err.message));
    }
    request.log.error({ err }, 'API request failed');
    return sendError(reply, 500, errorBody(CsmsErrorCode.INTERNAL, 'the server failed to handle the request; the error is in the server log'));
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      404,
      errorBody(CsmsErrorCode.NOT_FOUND, `no API route ${request.method} ${request.url.split('?')[0]}; the routes are listed in /api/v1/openapi.json`),
    ),
  );
}
