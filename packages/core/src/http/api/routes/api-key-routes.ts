import type { FastifyInstance } from 'fastify';
import type { ApiRole } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, principalOf, type ApiRouteConfig } from '../api-auth.js';
import { API_ROLES } from '../api-keys.js';
import { apiKeyView, errors, strictObject } from '../schemas.js';
import { apiKeyViewOf } from '../views.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const admin: ApiRouteConfig = { apiRole: 'admin' };

/** API key administration (admin), plus "who am I" for any key. */
export function registerApiKeyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/me',
    {
      config: viewer,
      schema: {
        tags: ['api keys'],
        summary: 'The key making this request: name and role',
        response: { 200: { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string', enum: API_ROLES } } }, ...errors(401) },
      },
    },
    async (request) => {
      const { name, role } = principalOf(request);
      return { name, role };
    },
  );

  app.get(
    '/api-keys',
    {
      config: admin,
      schema: {
        tags: ['api keys'],
        summary: 'List API keys (never their secrets)',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: apiKeyView } } }, ...errors(401, 403) },
      },
    },
    async () => ({ items: (await ctx.apiKeys.list()).map(apiKeyViewOf) }),
  );

  app.post<{ Body: { name: string; role: ApiRole } }>(
    '/api-keys',
    {
      config: admin,
      schema: {
        tags: ['api keys'],
        summary: 'Create an API key; the key is returned ONCE',
        body: strictObject(
          {
            name: { type: 'string', minLength: 1, maxLength: 64, description: 'A unique label, e.g. "dashboard" or "billing-export".' },
            role: { type: 'string', enum: API_ROLES, description: 'viewer: read; operator: read + commands, reservations, charging profiles; admin: everything.' },
          },
          ['name', 'role'],
        ),
        response: {
          201: {
            type: 'object',
            required: ['key', 'apiKey'],
            properties: {
              key: { type: 'string', description: 'The secret key (cit_<prefix>_<secret>). Shown only now: store it; only a hash is kept.' },
              apiKey: apiKeyView,
            },
          },
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const { key, apiKey } = await ctx.apiKeys.create(request.body, actorOf(request));
      return reply.code(201).send({ key, apiKey: apiKeyViewOf(apiKey) });
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api-keys/:id',
    {
      config: admin,
      schema: {
        tags: ['api keys'],
        summary: 'Revoke an API key (at once; idempotent)',
        description: 'The bootstrap key comes back at the next start while CHARGE_IT_API_ADMIN_KEY is set; unset the variable to withdraw it.',
        params: strictObject({ id: { type: 'integer', minimum: 1 } }, ['id']),
        response: { 200: apiKeyView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => apiKeyViewOf(await ctx.apiKeys.revoke(request.params.id, actorOf(request))),
  );
}
