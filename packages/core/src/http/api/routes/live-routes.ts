import type { FastifyInstance } from 'fastify';
import type { LiveFilter, LiveSnapshot } from '../../../domain/live/live-types.js';
import { liveSnapshotSchema } from '../../live/live-schemas.js';
import { SseHub } from '../../live/sse-connection.js';
import type { ApiContext } from '../api-context.js';
import type { ApiRouteConfig } from '../api-auth.js';
import { chargePointIdParam, errors, strictObject } from '../schemas.js';

const viewer: ApiRouteConfig = { apiRole: 'viewer' };

interface StreamQuery {
  chargePointId?: string;
}

/**
 * The live state: `GET /live` (snapshot) and `GET /live/stream` (Server-Sent Events: a `snapshot`
 * event first — so a reconnect always starts from the truth —, then `chargePoint`, `connector` and
 * `site` events whose data is the LiveEvent JSON; heartbeat comments in between).
 */
export function registerLiveRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const live = () => ctx.services.get('live');
  const hub = new SseHub(app);

  app.get(
    '/live',
    {
      config: viewer,
      schema: {
        tags: ['live'],
        summary: 'The site now: charge points, connectors, running sessions (energy, power, cost so far), site power',
        response: { 200: liveSnapshotSchema, ...errors(401, 403) },
      },
    },
    async () => live().snapshot(),
  );

  app.get<{ Querystring: StreamQuery }>(
    '/live/stream',
    {
      config: viewer,
      schema: {
        tags: ['live'],
        summary: 'Live state as Server-Sent Events',
        description:
          'text/event-stream. The first event is `snapshot` (data: the same JSON as GET /live, limited to one charge point ' +
          'with `chargePointId`); then `chargePoint`, `connector` and `site` events, data = `{ type, at, chargePoint | connector | site }`. ' +
          'Meter-driven changes are coalesced per connector (option live.coalesceMs); status changes come at once. ' +
          'Comments (`: heartbeat`) keep the connection alive. A reconnecting client gets a fresh snapshot first.',
        querystring: strictObject({ chargePointId: chargePointIdParam }),
        response: {
          200: { description: 'An event stream (text/event-stream).', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const filter: LiveFilter = request.query.chargePointId === undefined ? {} : { chargePointId: request.query.chargePointId };
      const stream = hub.open(reply, { heartbeatMs: ctx.config.live.sseHeartbeatSeconds * 1000 });
      // Subscribe first, then write the snapshot: events of changes after it follow it in order.
      const unsubscribe = live().subscribe((event) => stream.send(event.type, event), filter);
      stream.onClose(unsubscribe);
      // The first write: its promise (drain of a full buffer, never rejects) needs no wait.
      void stream.send('snapshot', limitTo(live().snapshot(), filter.chargePointId));
    },
  );
}

function limitTo(snapshot: LiveSnapshot, chargePointId: string | undefined): LiveSnapshot {
  if (chargePointId === undefined) return snapshot;
  return { ...snapshot, chargePoints: snapshot.chargePoints.filter((c) => c.id === chargePointId) };
}
