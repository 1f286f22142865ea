import type { Csms } from '@charge-it/core';
import { INJECTED_ANOMALY_FLAG } from '../types.js';
import { generateSyntheticHistory, type SyntheticHistory, type SyntheticHistoryOptions } from './generate-history.js';

export interface SeedResult {
  created: number;
  duplicates: number;
  history: SyntheticHistory;
}

/**
 * Writes a seeded synthetic charging history through the core's `history` service: every session is
 * flagged `synthetic` (and the injected anomalies `synthetic-anomaly`), so it is never mistaken for
 * real data; the models report the synthetic share of what they were trained on. Idempotent for the
 * same options (same seed and end): a second call creates nothing.
 *
 * ```ts
 * await seedSyntheticHistory(csms, { days: 90, seed: 7 });
 * ```
 */
export async function seedSyntheticHistory(csms: Pick<Csms, 'services'>, options: SyntheticHistoryOptions & { onProgress?: (done: number, total: number) => void } = {}): Promise<SeedResult> {
  const history = generateSyntheticHistory(options);
  const result = await csms.services.get('history').importSessions(
    history.sessions.map((s) => ({
      chargePointId: s.chargePointId,
      connectorId: s.connectorId,
      idTag: s.idTag,
      startedAt: s.startedAt,
      stoppedAt: s.stoppedAt,
      chargingEndedAt: s.chargingEndedAt,
      energyWh: s.energyWh,
      maxPowerW: s.maxPowerW,
      flags: s.anomaly ? [INJECTED_ANOMALY_FLAG, `synthetic-anomaly:${s.anomaly}`] : [],
    })),
    {
      source: 'synthetic',
      actor: 'ml:synthetic',
      chargePoints: history.chargePoints.map((cp) => ({ id: cp.id, maxPowerKw: cp.maxPowerKw, description: `synthetic demo charge point (${cp.connectors} connectors, ${cp.maxPowerKw} kW)` })),
      onProgress: options.onProgress,
    },
  );
  return { created: result.created, duplicates: result.duplicates, history };
}
