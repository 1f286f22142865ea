import type { FastifyInstance } from 'fastify';
import type { IdTagInput, IdTagView } from '../../../domain/id-tags/id-tag-service.js';
import type { IdTagStatus } from '../../../persistence/entities/index.js';
import type { ApiContext } from '../api-context.js';
import { actorOf, type ApiRouteConfig } from '../api-auth.js';
import { dateTime, errors, ID_TAG_STATUSES, idTagValue, idTagView, nullable, page, paginationQuery, strictObject } from '../schemas.js';
import { notFound, pageOf, type PageQuery } from './lookups.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };
const admin: ApiRouteConfig = { apiRole: 'admin' };

const fields = {
  status: { type: 'string', enum: ID_TAG_STATUSES, description: 'Accepted, Blocked, Expired or Invalid.' },
  parentIdTag: nullable({ ...idTagValue, description: 'Group idTag (OCPP parentIdTag): tags with the same parent may stop each other\'s sessions.' }),
  expiryDate: nullable({ ...dateTime, description: 'After this time an Accepted tag answers Expired.' }),
  ownerName: nullable({ type: 'string', maxLength: 255 }),
} as const;

/**
 * IdTag (RFID card / token) administration over the `idTags` service, which validates, audits and
 * announces every change (`onIdTagsChanged`; the local list feature pushes it to the chargers).
 */
export function registerIdTagRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const idTags = () => ctx.services.get('idTags');

  async function requireIdTag(idTag: string): Promise<IdTagView> {
    const tag = await idTags().get(idTag);
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
      const { items, total } = await idTags().list({ status: q.status, search: q.q, limit: q.limit, offset: q.offset });
      return pageOf(items, total, q);
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
    async (request) => requireIdTag(request.params.idTag),
  );

  app.post<{ Body: IdTagInput }>(
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
    async (request, reply) => reply.code(201).send(await idTags().create(request.body, actorOf(request))),
  );

  app.patch<{ Params: { idTag: string }; Body: Omit<IdTagInput, 'idTag'> }>(
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
    async (request) => idTags().update(request.params.idTag, request.body, actorOf(request)),
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
      await idTags().remove(request.params.idTag, actorOf(request));
      return reply.code(204).send();
    },
  );
}
