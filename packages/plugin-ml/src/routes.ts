import type { CsmsPluginContext } from '@charge-it/core';
import type { MlService } from './ml-service.js';

const viewer = { apiRole: 'viewer' } as const;
const operator = { apiRole: 'operator' } as const;

/** Every ML answer: the result with its metric, or "not enough data yet" / "not trained yet". */
const answer = {
  type: 'object',
  additionalProperties: true,
  description:
    'status "ok": { model, metric: { name, value, baseline: { name, value }, beatsBaseline, evaluatedOn, extra }, training: { trainedAt, samples, unit, syntheticShare, importedShare, seed }, result }; ' +
    'status "not-enough-data": { model, message: "not enough data yet (have X …, need Y)", have, need, unit }; status "not-trained": { model, message }.',
  properties: { status: { type: 'string', enum: ['ok', 'not-enough-data', 'not-trained'] }, model: { type: 'string' } },
  required: ['status', 'model'],
} as const;

const chargePointId = { type: 'string', minLength: 1, maxLength: 48 } as const;
const limit = { type: 'integer', minimum: 1, maximum: 500, default: 20 } as const;

/**
 * REST endpoints under /api/v1/ml (mounted with `ctx.apiRoutes`, so they use the API's keys and
 * roles, its error shape, and appear in /api/v1/openapi.json).
 */
export function mlRoutes(ml: MlService): Parameters<CsmsPluginContext['apiRoutes']>[0] {
  return async (app) => {
    app.get(
      '/forecast',
      {
        config: viewer,
        schema: {
          tags: ['ml'],
          summary: 'Site (or one charge point) power forecast per hour, 24-48 h, with 95 % intervals and the metric against seasonal-naive',
          querystring: { type: 'object', additionalProperties: false, properties: { chargePointId, hours: { type: 'integer', minimum: 1, maximum: 48 } } },
          response: { 200: answer },
        },
      },
      async (req) => ml.forecast(req.query as { chargePointId?: string; hours?: number }),
    );
    app.get(
      '/availability',
      {
        config: viewer,
        schema: {
          tags: ['ml'],
          summary: 'Probability that each connector is free, per hour of the week (site time zone)',
          querystring: { type: 'object', additionalProperties: false, properties: { chargePointId, connectorId: { type: 'integer', minimum: 1 } } },
          response: { 200: answer },
        },
      },
      async (req) => ml.availability(req.query as { chargePointId?: string; connectorId?: number }),
    );
    app.get(
      '/anomalies',
      {
        config: viewer,
        schema: {
          tags: ['ml'],
          summary: 'Unusual sessions and meter streams, highest score first, each explained in words',
          querystring: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: ['sessions', 'meter', 'all'], default: 'all' }, limit } },
          response: { 200: { type: 'object', additionalProperties: false, properties: { sessions: answer, meter: answer } } },
        },
      },
      async (req) => {
        const q = req.query as { kind: 'sessions' | 'meter' | 'all'; limit: number };
        return {
          ...(q.kind !== 'meter' ? { sessions: ml.sessionAnomalies({ limit: q.limit }) } : {}),
          ...(q.kind !== 'sessions' ? { meter: ml.meterAnomalies({ limit: q.limit }) } : {}),
        };
      },
    );
    app.get(
      '/segments',
      { config: viewer, schema: { tags: ['ml'], summary: 'Driver segments (K-Means on per-idTag behaviour, k by silhouette), named from their centroids', response: { 200: answer } } },
      async () => ml.segments(),
    );
    app.get(
      '/advice',
      {
        config: viewer,
        schema: { tags: ['ml'], summary: 'Load-optimisation advice: running sessions that can be throttled without missing their expected energy before their expected departure', response: { 200: answer } },
      },
      async () => ml.advice(),
    );
    app.post(
      '/predict',
      {
        config: viewer,
        schema: {
          tags: ['ml'],
          summary: "A session's expected energy and duration from what is known at its start",
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['idTag', 'chargePointId'],
            properties: { idTag: { type: 'string', minLength: 1, maxLength: 20 }, chargePointId, startedAt: { type: 'string', format: 'date-time' } },
          },
          response: { 200: answer },
        },
      },
      async (req) => {
        const b = req.body as { idTag: string; chargePointId: string; startedAt?: string };
        return ml.predictSession({ idTag: b.idTag, chargePointId: b.chargePointId, startedAt: b.startedAt ? new Date(b.startedAt) : undefined });
      },
    );
    app.get(
      '/status',
      {
        config: viewer,
        schema: { tags: ['ml'], summary: 'Training state and progress, last run, next scheduled run, and each model with its metric', response: { 200: { type: 'object', additionalProperties: true } } },
      },
      async () => ml.status(),
    );
    app.post(
      '/train',
      {
        config: operator,
        schema: {
          tags: ['ml'],
          summary: 'Starts a training run now (in a worker thread); answers 202 at once with the status, progress is in GET /ml/status',
          response: { 202: { type: 'object', additionalProperties: true } },
        },
      },
      async (_req, reply) => {
        ml.train('on-demand').catch(() => {
          // the failure is logged and shown in the status
        });
        return reply.code(202).send(ml.status());
      },
    );
  };
}
