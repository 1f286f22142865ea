/** Types shared by the models, the training worker, the service and the REST API. */

/**
 * One completed session as the models see it (built from the core's `queries.sessionsForAnalysis`).
 * Times are epoch milliseconds; powers in W; null = unknown.
 */
export interface SessionRecord {
  id: number;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  startedAt: number;
  stoppedAt: number;
  energyWh: number;
  maxPowerW: number | null;
  avgPowerW: number | null;
  /** Seconds the car stayed plugged in after charging ended; null when unknown. */
  idleS: number | null;
  flags: readonly string[];
}

/** A charge point as the models see it. */
export interface ChargerInfo {
  id: string;
  /** Rated power (kW); null = unknown. */
  maxPowerKw: number | null;
  connectorIds: number[];
}

/** How a model's quality was measured: on held-back data, against a naive baseline. */
export interface ModelMetric {
  /** e.g. 'MAE (kW)', 'precision@k', 'silhouette'. */
  name: string;
  value: number | null;
  baseline: { name: string; value: number | null } | null;
  /** Whether the model does better than the baseline (null when there is no baseline). */
  beatsBaseline: boolean | null;
  /** What was held back / how it was evaluated, in words. */
  evaluatedOn: string;
  /** Other figures (MAPE, per-target MAE, k tried, ...). */
  extra?: Record<string, number | string | null>;
}

/** The answer when there is too little data to train or answer honestly. */
export interface NotEnoughData {
  status: 'not-enough-data';
  model: ModelName;
  message: string;
  have: number;
  need: number;
  unit: string;
}

export type ModelName = 'forecast' | 'availability' | 'sessionAnomalies' | 'meterAnomalies' | 'segments' | 'regression';

export const MODEL_NAMES: readonly ModelName[] = ['forecast', 'availability', 'sessionAnomalies', 'meterAnomalies', 'segments', 'regression'];

export function notEnoughData(model: ModelName, have: number, need: number, unit: string): NotEnoughData {
  return {
    status: 'not-enough-data',
    model,
    message: `not enough data yet (have ${have} ${unit}, need ${need})`,
    have,
    need,
    unit,
  };
}

/** Facts about the data a model was trained on (travels with every result). */
export interface TrainingInfo {
  trainedAt: string;
  durationMs: number;
  /** How many records the model saw (sessions, hours, idTags, ...), and of which unit. */
  samples: number;
  unit: string;
  /** Share of the training data marked synthetic (0..1): demo data is never shown as real. */
  syntheticShare: number;
  /** Share of the training data imported from CSV (0..1). */
  importedShare: number;
  seed: number;
}

export interface Trained<T> {
  status: 'ok';
  model: ModelName;
  metric: ModelMetric;
  training: TrainingInfo;
  result: T;
}

export type ModelOutcome<T> = Trained<T> | NotEnoughData;

/** Flags of the core's Transaction that mark history that did not come from a charger. */
export const SYNTHETIC_FLAG = 'synthetic';
export const IMPORTED_FLAG = 'imported';
/** Flag the synthetic generator puts on the sessions it made anomalous on purpose (ground truth). */
export const INJECTED_ANOMALY_FLAG = 'synthetic-anomaly';
