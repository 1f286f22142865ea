import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import type { LiveStateService } from '../../domain/live/live-types.js';
import { toPublicConnectorView } from '../../domain/live/public-connector-view.js';
import { CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { chargePointIdParam } from '../api/schemas.js';
import { publicConnectorViewSchema } from './live-schemas.js';
import { corsHeaders, parseCorsOrigins } from './public-cors.js';
import { RateLimiter } from './rate-limiter.js';
import { SseHub } from './sse-connection.js';

export const PUBLIC_V1_PREFIX = '/public/v1';

/** Open public streams allowed from one IP address. */
const MAX_STREAMS_PER_IP = 20;

export interface PublicLiveDeps {
  config: CsmsConfig;
  live: LiveStateService;
  clock: Clock;
  log: Logger;
}

interface ConnectorParams {
  chargePointId: string;
  connectorId: number;
}

/**
 * The public, read-only driver view (only when `publicLive` is on): one connector's status and
 * running session with the idTag masked — nothing about other connectors or their users — as JSON at
 * `GET /public/v1/connectors/:chargePointId/:connectorId` and as Server-Sent Events at `.../stream`
 * (event `connector`, data = the same view; a fresh view first on every (re)connect). No API key;
 * rate limited per IP (429 with Retry-After); CORS per `live.publicCorsOrigins` (default: same
 * origin only). Throws CONFIG_INVALID at start for a bad CORS origin list.
 */
export function registerPublicLiveRoutes(app: FastifyInstance, deps: PublicLiveDeps): void {
  const { config, live, clock } = deps;
  const cors = parseCorsOrigins(config.live.publicCorsOrigins);
  const limit = config.live.publicRateLimitPerMinute;

  void app.register(
    async (pub) => {
      const hub = new SseHub(pub);
      const limiter = new RateLimiter({ limit, windowMs: 60_000 });
      const streamsPerIp = new Map<string, number>();

      pub.setErrorHandler((err: FastifyError, _request, reply) => {
        if (err.validation) {
          return reply.code(400).send(errorBody(CsmsErrorCode.INPUT_INVALID, `invalid request: ${err.message}; use /public/v1/connectors/{chargePointId}/{connectorId}`));
        }
        deps.log.error({ err }, 'public live view failed');
        return reply.code(500).send(errorBody(CsmsErrorCode.INTERNAL, 'internal error; see the server log'));
      });

      pub.addHook('onRequest', async (request, reply) => {
        reply.headers(corsHeaders(cors, request.headers.origin));
        const retryAfter = limiter.hit(request.ip);
        if (retryAfter > 0) {
          return reply
            .code(429)
            .header('retry-after', String(retryAfter))
            .send(errorBody(CsmsErrorCode.RATE_LIMITED, `too many requests from ${request.ip}: at most ${limit} per minute; retry in ${retryAfter} s`));
        }
        return undefined;
      });

      const params = {
        type: 'object',
        required: ['chargePointId', 'connectorId'],
        properties: { chargePointId: chargePointIdParam, connectorId: { type: 'integer', minimum: 0, maximum: 1_000 } },
      };

      const find = (request: FastifyRequest<{ Params: ConnectorParams }>, reply: FastifyReply) => {
        const { chargePointId, connectorId } = request.params;
        const connector = live.connector(chargePointId, connectorId);
        if (!connector) {
          void reply.code(404).send(errorBody(CsmsErrorCode.NOT_FOUND, `no connector ${connectorId} on charge point ${chargePointId}; check the QR code or link`));
        }
        return connector;
      };

      pub.get<{ Params: ConnectorParams }>(
        '/connectors/:chargePointId/:connectorId',
        { schema: { params, response: { 200: publicConnectorViewSchema } } },
        async (request, reply) => {
          const connector = find(request, reply);
          if (!connector) return reply;
          return reply.header('cache-control', 'no-store').send(toPublicConnectorView(connector, clock.now()));
        },
      );

      pub.get<{ Params: ConnectorParams }>('/connectors/:chargePointId/:connectorId/stream', { schema: { params } }, async (request, reply) => {
        const connector = find(request, reply);
        if (!connector) return reply;
        const ip = request.ip;
        const open = streamsPerIp.get(ip) ?? 0;
        if (open >= MAX_STREAMS_PER_IP) {
          return reply
            .code(429)
            .header('retry-after', '60')
            .send(errorBody(CsmsErrorCode.RATE_LIMITED, `too many open streams from ${ip}: at most ${MAX_STREAMS_PER_IP}; close one first`));
        }
        streamsPerIp.set(ip, open + 1);
        const { chargePointId, connectorId } = request.params;
        const stream = hub.open(reply, {
          heartbeatMs: config.live.sseHeartbeatSeconds * 1000,
          headers: { ...corsHeaders(cors, request.headers.origin), 'cache-control': 'no-store' },
        });
        const unsubscribe = live.subscribe(
          (event) => (event.type === 'connector' ? stream.send('connector', toPublicConnectorView(event.connector, clock.now())) : undefined),
          { chargePointId, connectorId },
        );
        stream.onClose(() => {
          unsubscribe();
          const left = (streamsPerIp.get(ip) ?? 1) - 1;
          if (left > 0) streamsPerIp.set(ip, left);
          else streamsPerIp.delete(ip);
        });
        // The first write: its promise (drain of a full buffer, never rejects) needs no wait.
        void stream.send('connector', toPublicConnectorView(connector, clock.now()));
        return reply;
      });
    },
    { prefix: PUBLIC_V1_PREFIX },
  );
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}
