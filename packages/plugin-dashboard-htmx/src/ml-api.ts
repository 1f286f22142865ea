/**
 * The part of the ML plugin's service (`services.get('ml')`, @charge-it/plugin-ml) the AI Insights
 * view reads, as a structural type: the dashboard does not import the ML plugin, it only uses it
 * when it is installed (`services.has('ml')`).
 */
export interface MlMetric {
  name: string;
  value: number | null;
  baseline: { name: string; value: number | null } | null;
  beatsBaseline: boolean | null;
  evaluatedOn: string;
}
export interface MlTraining { trainedAt: string; samples: number; unit: string; syntheticShare: number; importedShare: number }
export type MlAnswer<T> =
  | { status: 'ok'; model: string; metric: MlMetric; training: MlTraining; result: T }
  | { status: 'not-enough-data'; model: string; message: string; have: number; need: number; unit: string }
  | { status: 'not-trained'; model: string; message: string };

export interface MlForecast { method: string; spec: string; fallbackReason: string | null; from: string; horizonHours: number; points: { at: string; kw: number; low: number; high: number }[]; stale: boolean }
export interface MlAvailability { timeZone: string; site: number[]; connectors: { chargePointId: string; connectorId: number; freeProbability: number[] }[] }
export interface MlAnomalies { scored: number; anomalies: { transactionId: number; chargePointId: string; connectorId: number; idTag: string; startedAt: string; score: number; rank: number; explanation: string }[] }
export interface MlSegments { k: number; segments: { id: number; name: string; description: string; size: number; centroid: { sessionsPerWeek: number; kwhPerSession: number; durationH: number; preferredHour: number; weekendShare: number } }[] }
export interface MlAdvice { at: string; totalFreeableW: number; sessions: { transactionId: number; chargePointId: string; connectorId: number; expectedEnergyWh: number; expectedDepartureAt: string; remainingEnergyWh: number; neededPowerW: number; powerNowW: number | null; throttleable: boolean; suggestedLimitW: number | null; freeableW: number; reason: string }[] }

export interface MlLike {
  status(): { state: string; lastRun: { finishedAt: string | null; status: string; message: string | null; sessions: number } | null; nextRunAt: string | null };
  forecast(q?: { hours?: number }): MlAnswer<MlForecast>;
  availability(): MlAnswer<MlAvailability>;
  sessionAnomalies(q?: { limit?: number }): MlAnswer<MlAnomalies>;
  segments(): MlAnswer<MlSegments>;
  advice(): MlAnswer<MlAdvice>;
}
