import { raw } from '@mikro-orm/core';
import type { FastifyInstance } from 'fastify';
import { CsmsError, CsmsErrorCode } from '../../../kernel/errors.js';
import { AuditLogSchema, IdTagSchema, type IdTag, type IdTagStatus } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { dateTime, errors, ID_TAG_STATUSES, idTagValue, idTagView, nullable, page, paginationQuery, strictObject } from '../schemas.js';
import { idTagViewOf } from '../views.js';
import { findIdTag, invalid, notFound, pageOf, type PageQuery } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const admin: ApiRouteConfig = { apiRole: 'admin' };

const fields = {
  status: { type: 'string', enum: ID_TAG_STATUSES, description: 'Accepted, Blocked, Expired or Invalid.' },
  parentIdTag: nullable({ ...idTagValue, description: 'Group idTag (OCPP parentIdTag): tags with the same parent may stop each other\'s sessions.' }),
  expiryDate: nullable({ ...dateTime, description: 'After this time an Accepted tag answers Expired.' }),
  ownerName: nullable({ type: 'string', maxLength: 255 }),
} as const;

interface IdTagInput {
  status?: IdTagStatus;
  parentIdTag?: string | null;
  expiryDate?: string | null;
  ownerName?: string | null;
}

/** Semantic checks the schema cannot express. */
function checkInput(idTag: string, input: IdTagInput): void {
  if (input.parentIdTag != null && input.parentIdTag.toLowerCase() === idTag.toLowerCase()) {
    throw invalid('parentIdTag', 'must differ from the idTag itself');
  }
}

/**
 * IdTag (RFID card / token) administration. Every change is audited and then announced to the local
 * list feature (`localList.markDirty()`, when installed), which pushes the change to the chargers.
 */
export function registerIdTagRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const em = () => ctx.orm.em.fork();

  function changed(): void {
    if (!ctx.services.has('localList')) return;
    try {
      ctx.services.get<{ markDirty(): void }>('localList').markDirty();
    } catch (err) {
      ctx.log.warn({ err }, 'could not tell the local list about an idTag change');
    }
  }

  async function requireIdTag(idTag: string): Promise<IdTag> {
    const tag = await findIdTag(em(), idTag);
    if (!tag) throw notFound(`no idTag "${idTag}"`);
    return tag;
  }

  app.get<{ Querystring: PageQuery & { status?: IdTagStatus; q?: string } }>(
    '/id-tags',
    {
      config: viewer,
      schema: {
        tags: ['id tags'],
        summary: 'List idTags, by idTag (case-insensitive order)',
        querystring: strictObject({
          ...paginationQuery,
          status: fields.status,
          q: { type: 'string', minLength: 1, maxLength: 64, description: 'Text contained in the idTag or the owner name (case-insensitive).' },
        }),
        response: { 200: page(idTagView, 'idTags, by idTag.'), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const where: Record<string, unknown> = {};
      if (q.status !== undefined) where.status = q.status;
      if (q.q !== undefined) {
        // Wildcards in the search text are taken literally by removing them: they are not meaningful in tags or names.
        const text = q.q.replace(/[%_\\]/g, '');
        where.$or = [{ idTag: { $like: `%${text}%` } }, { ownerName: { $like: `%${text}%` } }];
      }
      const [rows, total] = await em().findAndCount(IdTagSchema, where, {
        // Case-insensitive order on both databases (MariaDB's collation already sorts so, SQLite's does not).
        orderBy: [{ [raw((alias) => `lower(${alias}.id_tag)`)]: 'asc' }, { idTag: 'asc' }],
        limit: q.limit,
        offset: q.offset,
      });
      return pageOf(rows.map(idTagViewOf), total, q);
    },
  );

  app.get<{ Params: { idTag: string } }>(
    '/id-tags/:idTag',
    {
      config: viewer,
      schema: {
        tags: ['id tags'],
        summary: 'One idTag (case-insensitive)',
        params: strictObject({ idTag: idTagValue }, ['idTag']),
        response: { 200: idTagView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => idTagViewOf(await requireIdTag(request.params.idTag)),
  );

  app.post<{ Body: IdTagInput & { idTag: string } }>(
    '/id-tags',
    {
      config: admin,
      schema: {
        tags: ['id tags'],
        summary: 'Create an idTag',
        body: strictObject({ idTag: idTagValue, ...fields, status: { ...fields.status, default: 'Accepted' } }, ['idTag']),
        response: { 201: idTagView, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { idTag, ...input } = request.body;
      checkInput(idTag, input);
      const actor = actorOf(request);
      const at = ctx.clock.now();
      await ctx.batcher.run(async (tem) => {
        const existing = await findIdTag(tem, idTag);
        if (existing) {
          throw new CsmsError(CsmsErrorCode.CONFLICT, `idTag "${existing.idTag}" exists already (idTags are case-insensitive); change it with PATCH`, {
            details: { fields: { idTag: 'already exists' } },
          });
        }
        tem.create(IdTagSchema, {
          idTag,
          status: input.status ?? 'Accepted',
          parentIdTag: input.parentIdTag ?? null,
          expiryDate: input.expiryDate ? new Date(input.expiryDate) : null,
          ownerName: input.ownerName ?? null,
        });
        tem.create(AuditLogSchema, { at, actor, action: 'CreateIdTag', chargePoint: null, request: request.body, result: null, outcome: 'ok' });
      });
      changed();
      return reply.code(201).send(idTagViewOf(await requireIdTag(idTag)));
    },
  );

  app.patch<{ Params: { idTag: string }; Body: IdTagInput }>(
    '/id-tags/:idTag',
    {
      config: admin,
      schema: {
        tags: ['id tags'],
        summary: 'Change status, parent, expiry or owner of an idTag (null clears a field)',
        params: strictObject({ idTag: idTagValue }, ['idTag']),
        body: strictObject(fields, [], { minProperties: 1 }),
        response: { 200: idTagView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const input = request.body;
      const found = await requireIdTag(request.params.idTag);
      checkInput(found.idTag, input);
      const actor = actorOf(request);
      const at = ctx.clock.now();
      await ctx.batcher.run(async (tem) => {
        const tag = await findIdTag(tem, found.idTag);
        if (!tag) throw notFound(`no idTag "${found.idTag}"`);
        if (input.status !== undefined) tag.status = input.status;
        if (input.parentIdTag !== undefined) tag.parentIdTag = input.parentIdTag;
        if (input.expiryDate !== undefined) tag.expiryDate = input.expiryDate === null ? null : new Date(input.expiryDate);
        if (input.ownerName !== undefined) tag.ownerName = input.ownerName;
        tem.create(AuditLogSchema, { at, actor, action: 'UpdateIdTag', chargePoint: null, request: { idTag: found.idTag, ...input }, result: null, outcome: 'ok' });
      });
      changed();
      return idTagViewOf(await requireIdTag(found.idTag));
    },
  );

  app.delete<{ Params: { idTag: string } }>(
    '/id-tags/:idTag',
    {
      config: admin,
      schema: {
        tags: ['id tags'],
        summary: 'Delete an idTag (it is then unknown: Invalid)',
        description: 'Transactions keep the idTag they were started with. To stop a card from charging but keep its record, PATCH its status to Blocked.',
        params: strictObject({ idTag: idTagValue }, ['idTag']),
        response: { 204: { type: 'null', description: 'Deleted.' }, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const found = await requireIdTag(request.params.idTag);
      const actor = actorOf(request);
      const at = ctx.clock.now();
      await ctx.batcher.run(async (tem) => {
        const tag = await findIdTag(tem, found.idTag);
        if (!tag) throw notFound(`no idTag "${found.idTag}"`);
        tem.remove(tag);
        tem.create(AuditLogSchema, { at, actor, action: 'DeleteIdTag', chargePoint: null, request: { idTag: found.idTag }, result: null, outcome: 'ok' });
      });
      changed();
      return reply.code(204).send();
    },
  );
}
