import type { FastifyInstance } from 'fastify';
import { CsmsError, CsmsErrorCode } from '../../../kernel/errors.js';
import { generateAuthKey, hashGeneratedAuthKey } from '../../../ocpp/credentials.js';
import { AuditLogSchema, ChargePointSchema, type ChargePoint } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import {
  chargePointIdParam,
  chargePointView,
  errors,
  nullable,
  page,
  paginationQuery,
  statusEventView,
  strictObject,
  timeRangeQuery,
} from '../schemas.js';
import { findChargePoint, invalid, pageOf, requireChargePoint, type PageQuery } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const admin: ApiRouteConfig = { apiRole: 'admin' };

const idParams = strictObject({ id: chargePointIdParam }, ['id']);

const securityProfile = {
  type: 'integer',
  enum: [0, 1, 2, 3],
  description: '0 = no authentication, 1 = HTTP Basic auth, 2 = TLS + HTTP Basic auth (needs TLS on this server), 3 = TLS client certificate (CN = charge point id, signed by tls.caFile; no key).',
} as const;
const maxPowerKw = { type: 'number', exclusiveMinimum: 0, maximum: 10_000, description: "The charger's maximum power in kW (used by load management)." } as const;
const description = { type: 'string', maxLength: 255, description: 'Free text for operators (location, bay number, ...).' } as const;

const withKey = (what: string) => ({
  type: 'object',
  required: ['chargePoint'],
  properties: {
    chargePoint: chargePointView,
    authKey: {
      type: 'string',
      description: `${what}: the Basic-auth password for security profile 1/2 (user name = the charge point id). Shown ONLY in this answer; store it in the charger now.`,
    },
  },
});

interface ListQuery extends PageQuery {
  online?: boolean;
}

export function registerChargePointRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const em = () => ctx.orm.em.fork();

  const queries = () => ctx.services.get('queries');

  async function viewOf(cp: ChargePoint) {
    const view = await queries().chargePoint(cp.id);
    if (!view) throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no charge point "${cp.id}" is registered`);
    return view;
  }

  app.get<{ Querystring: ListQuery }>(
    '/charge-points',
    {
      config: viewer,
      schema: {
        tags: ['charge points'],
        summary: 'List charge points with connectors, live status and online/offline',
        querystring: strictObject({ ...paginationQuery, online: { type: 'boolean', description: 'Only connected (true) or disconnected (false) charge points.' } }),
        response: { 200: page(chargePointView, 'Charge points, by id.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const { items, total } = await queries().chargePointPage({ online: q.online, limit: q.limit, offset: q.offset });
      return pageOf(items, total, q);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/charge-points/:id',
    {
      config: viewer,
      schema: {
        tags: ['charge points'],
        summary: 'One charge point with connectors and live status',
        params: idParams,
        response: { 200: chargePointView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const view = await queries().chargePoint(request.params.id);
      if (!view) throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no charge point "${request.params.id}" is registered`);
      return view;
    },
  );

  app.post<{ Body: { id: string; securityProfile: 0 | 1 | 2 | 3; maxPowerKw?: number; description?: string } }>(
    '/charge-points',
    {
      config: admin,
      schema: {
        tags: ['charge points'],
        summary: 'Register a charge point; profile 1/2 returns its generated Basic-auth key once',
        body: strictObject({ id: chargePointIdParam, securityProfile, maxPowerKw, description }, ['id', 'securityProfile']),
        response: { 201: withKey('Profile 1/2 only'), ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { id, securityProfile: profile, maxPowerKw: maxKw, description: text } = request.body;
      // REST's own wording for a profile this server cannot serve (as PATCH); the rest is the registry's.
      checkProfileUsable(ctx, profile);
      const { authKey } = await ctx.services
        .get('chargePointRegistry')
        .register({ id, securityProfile: profile, maxPowerKw: maxKw ?? null, description: text ?? null }, actorOf(request));
      const cp = await requireChargePoint(em(), id);
      return reply.code(201).send({ chargePoint: await viewOf(cp), ...(authKey ? { authKey } : {}) });
    },
  );

  app.patch<{ Params: { id: string }; Body: { maxPowerKw?: number | null; description?: string | null; securityProfile?: 0 | 1 | 2 | 3 } }>(
    '/charge-points/:id',
    {
      config: admin,
      schema: {
        tags: ['charge points'],
        summary: 'Change max power, description or security profile',
        description:
          'Raising the security profile from 0 to 1/2 generates a Basic-auth key, returned once as `authKey`; lowering it to 0 deletes the key. ' +
          'A changed profile or key applies from the next connection of the charger.',
        params: idParams,
        body: strictObject({ maxPowerKw: nullable(maxPowerKw), description: nullable(description), securityProfile }, [], { minProperties: 1 }),
        response: { 200: withKey('Only when the profile was raised from 0'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const before = await requireChargePoint(em(), id);
      if (body.securityProfile !== undefined) checkProfileUsable(ctx, body.securityProfile);
      const raising = body.securityProfile !== undefined && body.securityProfile > 0 && body.securityProfile < 3 && !before.authKeyHash;
      const authKey = raising ? generateAuthKey() : undefined;
      const authKeyHash = authKey ? hashGeneratedAuthKey(authKey) : undefined;
      const actor = actorOf(request);
      const at = ctx.clock.now();
      await ctx.batcher.run(async (tem) => {
        const cp = await findChargePoint(tem, id);
        if (!cp) throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no charge point "${id}" is registered`);
        if (body.maxPowerKw !== undefined) cp.maxPowerKw = body.maxPowerKw;
        if (body.description !== undefined) cp.description = body.description;
        if (body.securityProfile !== undefined) {
          cp.securityProfile = body.securityProfile;
          if (body.securityProfile === 0) cp.authKeyHash = null;
          else if (authKeyHash && !cp.authKeyHash) cp.authKeyHash = authKeyHash;
        }
        tem.create(AuditLogSchema, { at, actor, action: 'UpdateChargePoint', chargePoint: id, request: body, result: { keyGenerated: Boolean(authKey) }, outcome: 'ok' });
      });
      const cp = await requireChargePoint(em(), id);
      return { chargePoint: await viewOf(cp), ...(authKey ? { authKey } : {}) };
    },
  );

  app.post<{ Params: { id: string }; Querystring: { timeoutMs?: number } }>(
    '/charge-points/:id/rotate-key',
    {
      // waitsForChargePoint: `?timeoutMs=` (schema, validation, one deadline for the ChangeConfiguration).
      config: { ...admin, waitsForChargePoint: true },
      schema: {
        tags: ['charge points'],
        summary: 'Replace the Basic-auth key; the new key is returned once',
        description:
          'Security whitepaper A01. Charger connected: the new key is sent with ChangeConfiguration (AuthorizationKey); when the charger ' +
          'answers Accepted (or RebootRequired) the new key is stored and the old one refused from the next handshake on; when it answers ' +
          'Rejected/NotSupported, does not answer, or the connection drops, the old key stays and the answer is an error (409, 504, 502). ' +
          'Charger offline: the new key is stored at once (the old one stops working) and must be configured on the charger by hand.',
        params: idParams,
        response: { 200: withKey('The new key'), ...errors(400, 401, 403, 404, 409, 502, 504) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const cp = await requireChargePoint(em(), id);
      if ((cp.securityProfile ?? 0) === 0) {
        throw new CsmsError(CsmsErrorCode.CONFLICT, `charge point "${id}" uses security profile 0 (no key); raise its profile with PATCH first`);
      }
      const authKey = generateAuthKey();
      const actor = actorOf(request);
      const online = ctx.sessions.get(id) !== undefined;
      if (online) {
        // The command service stores the new key only once the charger accepted it (A01).
        const timeoutMs = request.query.timeoutMs;
        const answer = await ctx.commands.for(id).changeConfiguration({ key: 'AuthorizationKey', value: authKey }, { actor, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
        if (answer.status !== 'Accepted' && answer.status !== 'RebootRequired') {
          throw new CsmsError(CsmsErrorCode.CONFLICT, `charge point "${id}" answered ${answer.status} to the new AuthorizationKey; its old key stays valid`, {
            details: { chargePointId: id, status: answer.status },
          });
        }
      }
      const authKeyHash = online ? null : hashGeneratedAuthKey(authKey);
      const at = ctx.clock.now();
      await ctx.batcher.run(async (tem) => {
        if (authKeyHash) await tem.nativeUpdate(ChargePointSchema, { id }, { authKeyHash });
        tem.create(AuditLogSchema, { at, actor, action: 'RotateChargePointKey', chargePoint: id, request: { via: online ? 'ChangeConfiguration' : 'stored' }, result: null, outcome: 'ok' });
      });
      ctx.log.info({ chargePointId: id, actor, via: online ? 'ChangeConfiguration' : 'stored (charger offline)' }, 'charge point key rotated');
      return { chargePoint: await viewOf(await requireChargePoint(em(), id)), authKey };
    },
  );

  app.get<{ Params: { id: string }; Querystring: PageQuery & { connectorId?: number; from?: string; to?: string } }>(
    '/charge-points/:id/status-history',
    {
      config: viewer,
      schema: {
        tags: ['charge points'],
        summary: 'StatusNotifications of a charge point, newest first',
        params: idParams,
        querystring: strictObject({ ...paginationQuery, ...timeRangeQuery, connectorId: { type: 'integer', minimum: 0 } }),
        response: { 200: page(statusEventView, 'Status notifications as received (receive time, newest first).'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const q = request.query;
      const found = await queries().statusHistoryPage(id, {
        connectorId: q.connectorId,
        from: q.from !== undefined ? new Date(q.from) : undefined,
        to: q.to !== undefined ? new Date(q.to) : undefined,
        limit: q.limit,
        offset: q.offset,
      });
      if (!found) throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no charge point "${id}" is registered`);
      return pageOf(found.items, found.total, q);
    },
  );
}

function checkProfileUsable(ctx: ApiContext, profile: number): void {
  if (profile === 3 && !ctx.config.tls?.caFile) {
    throw invalid(
      'securityProfile',
      'needs TLS with a client CA on this server',
      'invalid body: securityProfile 3 (TLS client certificates) needs TLS with a CA for client certificates (CHARGE_IT_TLS_CA_FILE)',
    );
  }
  if (profile === 2 && !ctx.config.tls) {
    throw invalid(
      'securityProfile',
      'needs TLS on this server',
      'invalid body: securityProfile 2 (TLS + Basic auth) needs TLS on this server (set CHARGE_IT_TLS_CERT_FILE and CHARGE_IT_TLS_KEY_FILE); use 1 until then',
    );
  }
}
