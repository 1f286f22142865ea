import type { MikroORM } from '@mikro-orm/core';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { Logger as PinoLogger } from 'pino';
import { CORE_VERSION } from '../version.js';

export interface HttpAppOptions {
  logger: PinoLogger;
  https: HttpsOptions | null;
}

/**
 * The one HTTP(S) server of the CSMS: Fastify serves the REST routes, and the OCPP gateway takes
 * the websocket upgrades on the same server (Fastify does not handle upgrades itself).
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;
  return app;
}

/** `GET /health`: 200 with the version and database status when healthy, 503 when the database fails. */
export function registerHealthRoute(app: FastifyInstance, deps: { orm: () => MikroORM; connectedChargePoints: () => number }): void {
  app.get('/health', async (_request, reply) => {
    let database: 'ok' | 'error' = 'ok';
    let databaseError: string | undefined;
    try {
      await deps.orm().em.getConnection().execute('select 1');
    } catch (err) {
      database = 'error';
      databaseError = (err as Error).message;
    }
    const body = {
      status: database === 'ok' ? 'ok' : 'degraded',
      version: CORE_VERSION,
      database,
      ...(databaseError ? { databaseError } : {}),
      connectedChargePoints: deps.connectedChargePoints(),
      uptimeSeconds: Math.round(process.uptime()),
    };
    return reply.code(database === 'ok' ? 200 : 503).send(body);
  });
}
