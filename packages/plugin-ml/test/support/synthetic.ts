import { generateSyntheticHistory, type SyntheticHistory, type SyntheticHistoryOptions } from '../../src/synthetic/generate-history.js';
import { INJECTED_ANOMALY_FLAG, SYNTHETIC_FLAG, type ChargerInfo, type SessionRecord } from '../../src/types.js';

/** The generator's sessions as the models see them (what sessionsForAnalysis gives for them). */
export function recordsOf(history: SyntheticHistory, options: { labels?: boolean } = {}): SessionRecord[] {
  return history.sessions.map((s, i) => ({
    id: i + 1,
    chargePointId: s.chargePointId,
    connectorId: s.connectorId,
    idTag: s.idTag,
    startedAt: s.startedAt.getTime(),
    stoppedAt: s.stoppedAt.getTime(),
    energyWh: s.energyWh,
    maxPowerW: s.maxPowerW,
    avgPowerW: Math.round((s.energyWh * 3_600_000) / Math.max(1, s.stoppedAt.getTime() - s.startedAt.getTime())),
    idleS: Math.round((s.stoppedAt.getTime() - s.chargingEndedAt.getTime()) / 1000),
    flags: s.anomaly && options.labels !== false ? [SYNTHETIC_FLAG, INJECTED_ANOMALY_FLAG] : [SYNTHETIC_FLAG],
  }));
}

export function chargersOf(history: SyntheticHistory): ChargerInfo[] {
  return history.chargePoints.map((c) => ({ id: c.id, maxPowerKw: c.maxPowerKw, connectorIds: Array.from({ length: c.connectors }, (_, i) => i + 1) }));
}

export const END = new Date('2026-11-30T00:00:00Z');

export function history(options: SyntheticHistoryOptions = {}): SyntheticHistory {
  return generateSyntheticHistory({ days: 120, seed: 42, end: END, ...options });
}
