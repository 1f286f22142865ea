import { round } from '../stats.js';
import { predictSession, type SessionRegressionModel } from './session-regression.js';

/** A running session as the advisor sees it (from the live state). */
export interface RunningSession {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  idTag: string;
  startedAt: number;
  energyWh: number;
  powerW: number | null;
}

export interface SessionAdvice {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  expectedEnergyWh: number;
  expectedDepartureAt: string;
  remainingEnergyWh: number;
  /** Power needed to deliver the remaining expected energy before the expected departure (with the margin). */
  neededPowerW: number;
  powerNowW: number | null;
  /** True when the session can be limited to `neededPowerW` without missing its expected energy. */
  throttleable: boolean;
  /** The lowest limit advised (W); null when the session should not be throttled. */
  suggestedLimitW: number | null;
  /** What could be freed now (W). */
  freeableW: number;
  reason: string;
}

export interface LoadAdvice {
  at: string;
  sessions: SessionAdvice[];
  totalFreeableW: number;
}

/** Safety margin on the needed power (predictions are uncertain). */
const MARGIN = 1.25;
/** Never advise below this (most EVs stop charging under ~1.4 kW). */
const FLOOR_W = 1400;

/**
 * Advised upper limits (W) per transaction for the core's load management: the power each session
 * needs (with the margin) to get its expected energy before its expected departure. No cap for a
 * session expected to leave within 15 minutes (or overdue) or one of an unknown transaction.
 * Unlike `adviseLoad`, it does not depend on the power drawn now, so that a capped session stays
 * capped (no oscillation between passes).
 */
export function sessionCaps(model: SessionRegressionModel, running: readonly Omit<RunningSession, 'powerW'>[], now: number): Map<number, number> {
  const caps = new Map<number, number>();
  for (const r of running) {
    const p = predictSession(model, r);
    const hoursLeft = (r.startedAt + p.durationS * 1000 - now) / 3_600_000;
    if (hoursLeft <= 0.25) continue;
    caps.set(r.transactionId, Math.round(Math.max(FLOOR_W, (Math.max(0, p.energyWh - r.energyWh) / hoursLeft) * MARGIN)));
  }
  return caps;
}

/**
 * Which running sessions can be throttled without missing their expected energy before their
 * expected departure (both predicted by the session regression from what was known at the start).
 */
export function adviseLoad(model: SessionRegressionModel, running: readonly RunningSession[], now: number): LoadAdvice {
  const sessions = running.map((r): SessionAdvice => {
    const p = predictSession(model, r);
    const departure = r.startedAt + p.durationS * 1000;
    const remaining = Math.max(0, p.energyWh - r.energyWh);
    const hoursLeft = (departure - now) / 3_600_000;
    const base = { transactionId: r.transactionId, chargePointId: r.chargePointId, connectorId: r.connectorId, expectedEnergyWh: Math.round(p.energyWh), expectedDepartureAt: new Date(departure).toISOString(), remainingEnergyWh: Math.round(remaining), powerNowW: r.powerW };
    if (hoursLeft <= 0.25) {
      return { ...base, neededPowerW: r.powerW ?? 0, throttleable: false, suggestedLimitW: null, freeableW: 0, reason: 'expected to leave within 15 minutes (or already overdue): keep full power' };
    }
    const needed = Math.max(FLOOR_W, (remaining / hoursLeft) * MARGIN);
    if (r.powerW === null) {
      return { ...base, neededPowerW: Math.round(needed), throttleable: false, suggestedLimitW: null, freeableW: 0, reason: 'no power reading yet' };
    }
    if (needed >= r.powerW * 0.9) {
      return { ...base, neededPowerW: Math.round(needed), throttleable: false, suggestedLimitW: null, freeableW: 0, reason: `needs about ${round(needed / 1000, 1)} kW to get ${round(remaining / 1000, 1)} kWh before ${base.expectedDepartureAt}: keep its power` };
    }
    return {
      ...base,
      neededPowerW: Math.round(needed),
      throttleable: true,
      suggestedLimitW: Math.round(needed),
      freeableW: Math.round(r.powerW - needed),
      reason: `${round(remaining / 1000, 1)} kWh still expected in ${round(hoursLeft, 1)} h: ${round(needed / 1000, 1)} kW (with a ${Math.round((MARGIN - 1) * 100)} % margin) is enough`,
    };
  });
  return { at: new Date(now).toISOString(), sessions, totalFreeableW: sessions.reduce((s, x) => s + x.freeableW, 0) };
}
