import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * One trained model of the ML plugin with its metric and result (the whole outcome as JSON), so
 * that answers survive a restart: the plugin reloads the latest of each at start.
 * `name` is the model ('forecast', 'forecast:CP-1', 'availability', 'sessionAnomalies', ...).
 */
export const MlModelSchema = defineEntity({
  name: 'MlModel',
  tableName: 'ml_model',
  properties: {
    name: p.string().primary().length(96),
    /** 'ok' or 'not-enough-data'. */
    status: p.string().length(32),
    outcome: p.json<unknown>(),
    trainedAt: p.datetime(3),
    durationMs: p.integer(),
    /** Share of the training data that was synthetic (demo data is never shown as real). */
    syntheticShare: p.double().default(0),
  },
});

export type MlModel = InferEntity<typeof MlModelSchema>;

/** One training run (on schedule, on demand, at start): when, how long, how it ended. */
export const MlTrainingRunSchema = defineEntity({
  name: 'MlTrainingRun',
  tableName: 'ml_training_run',
  properties: {
    id: p.integer().primary().autoincrement(),
    trigger: p.string().length(32),
    startedAt: p.datetime(3),
    finishedAt: p.datetime(3).nullable(),
    /** 'running', 'ok', 'failed'. */
    status: p.string().length(16),
    sessions: p.integer().default(0),
    message: p.text().nullable(),
  },
});

export type MlTrainingRun = InferEntity<typeof MlTrainingRunSchema>;

export const mlEntities = [MlModelSchema, MlTrainingRunSchema] as const;
