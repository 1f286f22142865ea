/**
 * @charge-it/plugin-ml: load forecast (seasonal ARIMA), connector availability, Isolation Forest
 * anomalies on sessions and meter streams, K-Means driver segments, session regression and
 * load-optimisation advice on the CSMS's real data; CSV import of historical sessions; a seeded
 * synthetic history generator for demos and tests. See README.md.
 */
export { ml, type MlPluginOptions } from './plugin.js';
export { MlService, type MlAnswer, type MlStatus, type ModelStatus, type NotTrained, type MlServiceOptions } from './ml-service.js';
export { MlModelSchema, MlTrainingRunSchema, mlEntities, type MlModel, type MlTrainingRun } from './entities.js';
export type { ModelMetric, NotEnoughData, TrainingInfo, ModelName, SessionRecord, ChargerInfo, ModelOutcome, Trained } from './types.js';
export { SYNTHETIC_FLAG, IMPORTED_FLAG, INJECTED_ANOMALY_FLAG } from './types.js';
export { trainForecast, FORECAST_MIN_HOURS, type ForecastResult, type ForecastPoint } from './models/forecast.js';
export { hourlyLoad, type HourlySeries } from './models/load-series.js';
export { trainAvailability, AVAILABILITY_MIN_HOURS, type AvailabilityResult, type ConnectorAvailability } from './models/availability.js';
export { trainSessionAnomalies, SESSION_ANOMALIES_MIN_SESSIONS, type SessionAnomaly, type SessionAnomalyResult } from './models/session-anomalies.js';
export { trainMeterAnomalies, METER_ANOMALIES_MIN_INTERVALS, type MeterAnomaly, type MeterStream, type MeterAnomalyResult } from './models/meter-anomalies.js';
export { trainSegments, SEGMENTS_MIN_ID_TAGS, type Segment, type SegmentsResult } from './models/segments.js';
export { trainSessionRegression, predictSession, REGRESSION_MIN_SESSIONS, REGRESSION_FEATURES, type SessionPrediction } from './models/session-regression.js';
export { adviseLoad, type LoadAdvice, type SessionAdvice, type RunningSession } from './models/load-advice.js';
export { trainAll, type TrainingData, type TrainingOutcomes } from './training/train-all.js';
export { runTrainingInWorker } from './training/run-training.js';
export { packTrainingData, unpackTrainingData, type PackedTrainingData, type PackedSessions } from './training/pack.js';
export { generateSyntheticHistory, DRIVER_TYPES, INDONESIAN_HOLIDAYS, type DriverType, type SyntheticHistory, type SyntheticHistoryOptions, type SyntheticSession } from './synthetic/generate-history.js';
export { seedSyntheticHistory, type SeedResult } from './synthetic/seed-synthetic-history.js';
export { parseSessionCsv, PRESETS, type ColumnMapping, type PresetName, type SessionCsvOptions, type ParsedSession } from './import/session-csv.js';
export { importSessionsCsv, type CsvImportResult } from './import/import-sessions.js';

export const packageInfo = {
  name: '@charge-it/plugin-ml',
  /** The host the plugin runs in: 'csms' (@charge-it/core) or 'edge' (@charge-it/edge-runtime). */
  host: 'csms',
  status: 'ready',
} as const;
