import type { ChargingProfile } from '../ocpp/ocpp-types.js';

const DAY_MS = 86_400_000;

export interface EvaluationContext {
  /** Start of the running transaction (Relative profiles), if any. */
  txStartMs?: number;
  /** Phase voltage for A → W. */
  voltageV: number;
  /** When the profile was installed (Absolute profiles without startSchedule start then). */
  installedAtMs?: number;
}

/** Start of the schedule that applies at `atMs`, or undefined when it cannot apply. */
export function scheduleStart(profile: ChargingProfile, atMs: number, ctx: EvaluationContext): number | undefined {
  const s = profile.chargingSchedule;
  switch (profile.chargingProfileKind) {
    case 'Relative':
      return ctx.txStartMs;
    case 'Absolute':
      return s.startSchedule ? Date.parse(s.startSchedule) : (profile.validFrom ? Date.parse(profile.validFrom) : ctx.installedAtMs);
    case 'Recurring': {
      const anchor = s.startSchedule ? Date.parse(s.startSchedule) : (ctx.installedAtMs ?? atMs);
      const period = profile.recurrencyKind === 'Weekly' ? 7 * DAY_MS : DAY_MS;
      if (atMs < anchor) return anchor;
      return anchor + Math.floor((atMs - anchor) / period) * period;
    }
  }
}

/** True when validFrom/validTo allow the profile at `atMs`. */
export function isValidAt(profile: ChargingProfile, atMs: number): boolean {
  if (profile.validFrom && Date.parse(profile.validFrom) > atMs) return false;
  if (profile.validTo && Date.parse(profile.validTo) <= atMs) return false;
  return true;
}

/** The limit of a profile at `atMs`, in W, or undefined when the profile does not apply then. */
export function limitAt(profile: ChargingProfile, atMs: number, ctx: EvaluationContext): number | undefined {
  if (!isValidAt(profile, atMs)) return undefined;
  const start = scheduleStart(profile, atMs, ctx);
  if (start === undefined || Number.isNaN(start)) return undefined;
  const elapsedS = (atMs - start) / 1000;
  if (elapsedS < 0) return undefined;
  const s = profile.chargingSchedule;
  if (s.duration !== undefined && elapsedS >= s.duration) return undefined;
  let current: (typeof s.chargingSchedulePeriod)[number] | undefined;
  for (const p of [...s.chargingSchedulePeriod].sort((a, b) => a.startPeriod - b.startPeriod)) {
    if (p.startPeriod <= elapsedS) current = p;
  }
  if (!current) return undefined;
  return s.chargingRateUnit === 'W' ? current.limit : current.limit * ctx.voltageV * (current.numberPhases ?? 3);
}

/** Moments within [fromMs, toMs) where a profile's limit may change (period starts, validity edges). */
export function breakpoints(profile: ChargingProfile, fromMs: number, toMs: number, ctx: EvaluationContext): number[] {
  const out: number[] = [];
  const add = (t: number): void => {
    if (t > fromMs && t < toMs) out.push(t);
  };
  if (profile.validFrom) add(Date.parse(profile.validFrom));
  if (profile.validTo) add(Date.parse(profile.validTo));
  const s = profile.chargingSchedule;
  // Walk the schedule occurrences that overlap the window (recurring ones repeat).
  let t = fromMs;
  for (let i = 0; i < 400 && t < toMs; i++) {
    const start = scheduleStart(profile, t, ctx);
    if (start === undefined || Number.isNaN(start)) break;
    for (const p of s.chargingSchedulePeriod) add(start + p.startPeriod * 1000);
    if (s.duration !== undefined) add(start + s.duration * 1000);
    if (profile.chargingProfileKind !== 'Recurring') break;
    const period = profile.recurrencyKind === 'Weekly' ? 7 * DAY_MS : DAY_MS;
    add(start + period);
    t = Math.max(start, fromMs) + period;
  }
  return out;
}
