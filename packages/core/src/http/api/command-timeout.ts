import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { withCommandDefaults } from '../../ocpp/command-context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** REST API v1: the route sends commands to a charge point and waits; it takes `?timeoutMs=`. */
    waitsForChargePoint?: boolean;
  }
}

export const TIMEOUT_MS_QUERY = {
  type: 'integer',
  minimum: 100,
  maximum: 600_000,
  description:
    'Time allowed for each command this request sends to the charge point (ms), from the moment it is queued behind earlier commands ' +
    'to the same charge point until the answer; default `ocpp.callTimeoutMs`. Past it: 504 CSMS_ERR_CALL_TIMEOUT.',
} as const;

/**
 * `?timeoutMs=` for every API route whose config says `waitsForChargePoint: true`: the query
 * parameter is added to the route's schema (so it is documented and validated), and the handler
 * runs with that timeout as the default of every command it sends through the command service.
 * Install it before the routes are added.
 */
export function installCommandTimeoutOption(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.config?.waitsForChargePoint) return;
    const schema = (route.schema ??= {});
    const query = (schema.querystring ?? { type: 'object', additionalProperties: false, properties: {} }) as { properties?: Record<string, unknown> };
    schema.querystring = { ...query, properties: { ...query.properties, timeoutMs: TIMEOUT_MS_QUERY } };
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function (this: unknown, request, reply) {
      const timeoutMs = (request.query as { timeoutMs?: number } | undefined)?.timeoutMs;
      return withCommandDefaults({ timeoutMs }, () => handler.call(this as never, request, reply));
    } as RouteHandlerMethod;
  });
}
