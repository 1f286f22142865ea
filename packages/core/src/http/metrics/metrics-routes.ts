import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../kernel/logger.js';
import type { CsmsMetrics } from '../../observability/metrics.js';
import { CsmsErrorCode } from '../../kernel/errors.js';
import { presentedKey } from '../api/api-auth.js';
import { errorBody, sendError } from '../api/api-errors.js';
import { roleAllows, type ApiKeyService } from '../api/api-keys.js';

/**
 * `GET /metrics` on the CSMS's own port, protected like the REST API: an API key with at least the
 * viewer role (`Authorization: Bearer <key>` — Prometheus: `authorization: { credentials: <key> }`).
 */
export function registerMetricsRoute(app: FastifyInstance, deps: { metrics: CsmsMetrics; apiKeys: ApiKeyService }): void {
  app.get('/metrics', async (request, reply) => {
    const key = presentedKey(request);
    if (key === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="charge-it"');
      return sendError(reply, 401, errorBody(CsmsErrorCode.UNAUTHORIZED, 'an API key is required: send "Authorization: Bearer <key>" (or "X-API-Key: <key>")'));
    }
    const principal = await deps.apiKeys.authenticate(key);
    if (!principal) {
      void reply.header('www-authenticate', 'Bearer realm="charge-it", error="invalid_token"');
      return sendError(reply, 401, errorBody(CsmsErrorCode.UNAUTHORIZED, 'the API key is unknown, wrong or revoked; ask an admin for a valid key'));
    }
    if (!roleAllows(principal.role, 'viewer')) {
      return sendError(reply, 403, errorBody(CsmsErrorCode.FORBIDDEN, `metrics need the viewer role; the key "${principal.name}" has the ${principal.role} role`));
    }
    const { contentType, body } = await deps.metrics.scrape();
    return reply.type(contentType).send(body);
  });
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A separate plain-HTTP server for `GET /metrics` only, without a key (`metrics.port`,
 * CHARGE_IT_METRICS_PORT): bind it to an address only the monitoring network reaches.
 */
export async function startMetricsServer(deps: { metrics: CsmsMetrics; port: number; host: string; log: Logger }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics server serves GET /metrics only\n');
      return;
    }
    deps.metrics.scrape().then(
      ({ contentType, body }) => {
        response.writeHead(200, { 'content-type': contentType });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        deps.log.error({ err }, 'metrics scrape failed');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  deps.log.info({ port, host: deps.host }, 'metrics server listening (GET /metrics)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
