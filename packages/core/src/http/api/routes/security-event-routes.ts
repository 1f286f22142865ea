import type { FastifyInstance } from 'fastify';
import { SECURITY_EXTENSION_KINDS, type SecurityExtensionKind } from '../../../domain/security/security-event-service.js';
import type { ApiContext } from '../api-context.js';
import type { ApiRouteConfig } from '../api-auth.js';
import { chargePointIdParam, errors, nullable, page, paginationQuery, strictObject } from '../schemas.js';
import { pageOf, type PageQuery } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };

const securityEventView = {
  type: 'object',
  required: ['id', 'chargePointId', 'kind', 'status', 'critical', 'timestamp', 'techInfo', 'requestId', 'receivedAt'],
  properties: {
    id: { type: 'integer' },
    chargePointId: { type: 'string' },
    kind: { type: 'string', enum: [...SECURITY_EXTENSION_KINDS] },
    status: nullable({ type: 'string', description: 'SecurityEventNotification: the event type (e.g. TamperDetectionActivated); the others: their status.' }),
    critical: { type: 'boolean', description: 'A critical security event (security whitepaper §8): raised as an alert.' },
    timestamp: nullable({ type: 'string', format: 'date-time', description: "The charger's time of the event." }),
    techInfo: nullable({ type: 'string' }),
    requestId: nullable({ type: 'integer' }),
    receivedAt: { type: 'string', format: 'date-time' },
  },
};

interface SecurityEventQuery extends PageQuery {
  chargePointId?: string;
  kind?: SecurityExtensionKind;
  critical?: boolean;
}

/** The OCPP 1.6 security extension messages chargers sent (security log), newest first. */
export function registerSecurityEventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: SecurityEventQuery }>(
    '/security-events',
    {
      config: viewer,
      schema: {
        tags: ['audit'],
        summary: 'Security events and the other 1.6 security-extension messages chargers sent, newest first',
        description:
          'SecurityEventNotification (critical ones, per the security whitepaper, are also logged as security-alert and announced by the onSecurityEvent hook), ' +
          'SignedFirmwareStatusNotification, LogStatusNotification and SignCertificate (answered Rejected: no CA configured to sign).',
        querystring: strictObject({
          ...paginationQuery,
          chargePointId: chargePointIdParam,
          kind: { type: 'string', enum: [...SECURITY_EXTENSION_KINDS] },
          critical: { type: 'boolean', description: 'Only critical (true) or only non-critical (false) security events.' },
        }),
        response: { 200: page(securityEventView, 'Security-extension messages, newest first.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const { items, total } = await ctx.services.get('securityEvents').list(q);
      return pageOf(items, total, q);
    },
  );
}
