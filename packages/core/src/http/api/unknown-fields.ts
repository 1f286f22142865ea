import type { FastifyInstance } from 'fastify';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';

interface ObjectSchema {
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
}

function check(schema: unknown, value: unknown, where: string): void {
  const s = schema as ObjectSchema | undefined;
  if (!s || s.additionalProperties !== false || !s.properties) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const known = Object.keys(s.properties);
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  throw new CsmsError(
    CsmsErrorCode.INPUT_INVALID,
    `invalid ${where}: unknown field ${unknown.map((k) => `"${k}"`).join(', ')}; known fields: ${known.join(', ') || 'none'}`,
    { details: { fields: Object.fromEntries(unknown.map((k) => [k, 'is not a known field'])) } },
  );
}

/**
 * Refuses unknown top-level fields of a body or query string whose schema says
 * `additionalProperties: false`. Fastify's Ajv is set up to silently *remove* such fields
 * (`removeAdditional: true`), which turns a typo like `{"stauts": "Blocked"}` into a successful
 * request that changed nothing; this hook runs before that validation and names the field instead.
 */
export function installUnknownFieldCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema;
    if (!schema) return;
    check(schema.querystring, request.query, 'querystring');
    check(schema.body, request.body, 'body');
  });
}
