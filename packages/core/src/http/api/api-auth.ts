import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { ApiRole } from '../../persistence/entities/index.js';
import { roleAllows, type ApiKeyService, type ApiPrincipal } from './api-keys.js';

/** The role a route needs, set as `config: { apiRole }` on the route; `public` needs no key. */
export type RouteRole = ApiRole | 'public';

export interface ApiRouteConfig {
  apiRole: RouteRole;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** REST API v1: the role the route needs (see src/http/api/api-auth.ts); missing = admin. */
    apiRole?: RouteRole;
  }
}

const principals = new WeakMap<FastifyRequest, ApiPrincipal>();

/** The authenticated caller of a request (set by the API's onRequest hook). */
export function principalOf(request: FastifyRequest): ApiPrincipal {
  const principal = principals.get(request);
  if (!principal) throw new CsmsError(CsmsErrorCode.UNAUTHORIZED, 'this request is not authenticated');
  return principal;
}

/** The audit-log actor of a request: `api:<key name>`. */
export function actorOf(request: FastifyRequest): string {
  return `api:${principalOf(request).name}`.slice(0, 64);
}

/** The key from `Authorization: Bearer <key>` or, failing that, `X-API-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  return undefined;
}

/**
 * Default-deny authentication for every route of the API scope: a route without `apiRole` needs
 * the admin role, so a route that forgets to declare its role is never public by accident.
 * Unknown routes (404) are answered without asking for a key.
 */
export function installAuthentication(app: FastifyInstance, apiKeys: ApiKeyService): void {
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const need = (request.routeOptions.config as Partial<ApiRouteConfig>).apiRole ?? 'admin';
    if (need === 'public') return;
    const key = presentedKey(request);
    if (key === undefined) {
      throw new CsmsError(CsmsErrorCode.UNAUTHORIZED, 'an API key is required: send "Authorization: Bearer <key>" (or "X-API-Key: <key>")', {
        details: { reason: 'missing' },
      });
    }
    const principal = await apiKeys.authenticate(key);
    if (!principal) {
      throw new CsmsError(CsmsErrorCode.UNAUTHORIZED, 'the API key is unknown, wrong or revoked; ask an admin for a valid key', {
        details: { reason: 'invalid' },
      });
    }
    if (!roleAllows(principal.role, need)) {
      throw new CsmsError(CsmsErrorCode.FORBIDDEN, `this operation needs the ${need} role; the key "${principal.name}" has the ${principal.role} role`);
    }
    principals.set(request, principal);
  });
}
