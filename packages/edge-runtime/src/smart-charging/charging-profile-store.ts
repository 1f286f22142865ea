import { JsonFileStore } from '../storage/json-file-store.js';
import type { ChargingProfile, ChargingProfilePurpose, ChargingRateUnit } from '../ocpp/ocpp-types.js';
import { breakpoints, limitAt, type EvaluationContext } from './schedule-evaluation.js';

export interface InstalledProfile {
  connectorId: number;
  profile: ChargingProfile;
  installedAtMs: number;
}

export interface ConnectorChargingContext {
  connectorId: number;
  /** Rating of the outlet (W). */
  maxPowerW: number;
  /** Running transaction on the connector. */
  transaction?: { transactionId?: number; startMs: number };
}

export interface ClearCriteria {
  id?: number;
  connectorId?: number;
  chargingProfilePurpose?: ChargingProfilePurpose;
  stackLevel?: number;
}

/**
 * Installed charging profiles (S16 §3.13), persisted, and the effective limit they give each
 * connector: the highest stack level wins within a purpose; a TxProfile overrides the
 * TxDefaultProfile (connector-specific before connector 0); the ChargePointMaxProfile caps the
 * whole charge point and is shared equally by the connectors that are charging.
 */
export class ChargingProfileStore {
  readonly #file: JsonFileStore<InstalledProfile[]>;
  #profiles: InstalledProfile[];
  readonly #voltageV: number;

  constructor(deps: { file: string; voltageV: number }) {
    this.#file = new JsonFileStore<InstalledProfile[]>(deps.file, () => []);
    this.#profiles = this.#file.read();
    this.#voltageV = deps.voltageV;
  }

  list(): readonly InstalledProfile[] {
    return this.#profiles;
  }

  install(connectorId: number, profile: ChargingProfile, nowMs: number): void {
    this.#profiles = this.#profiles.filter(
      (p) =>
        p.profile.chargingProfileId !== profile.chargingProfileId &&
        !(p.connectorId === connectorId && p.profile.stackLevel === profile.stackLevel && p.profile.chargingProfilePurpose === profile.chargingProfilePurpose),
    );
    this.#profiles.push({ connectorId, profile, installedAtMs: nowMs });
    this.#save();
  }

  /** Removes matching profiles; returns how many. With no criteria, removes all. */
  clear(c: ClearCriteria): number {
    const before = this.#profiles.length;
    this.#profiles = this.#profiles.filter((p) => {
      if (c.id !== undefined) return p.profile.chargingProfileId !== c.id;
      if (c.connectorId !== undefined && p.connectorId !== c.connectorId) return true;
      if (c.chargingProfilePurpose !== undefined && p.profile.chargingProfilePurpose !== c.chargingProfilePurpose) return true;
      if (c.stackLevel !== undefined && p.profile.stackLevel !== c.stackLevel) return true;
      return false;
    });
    if (this.#profiles.length !== before) this.#save();
    return before - this.#profiles.length;
  }

  /** TxProfiles end with their transaction (S16 §3.13.3). */
  clearTxProfiles(connectorId: number): void {
    this.clear({ connectorId, chargingProfilePurpose: 'TxProfile' });
  }

  #best(purpose: ChargingProfilePurpose, connectorId: number, atMs: number, tx?: { transactionId?: number; startMs: number }): number | undefined {
    let bestLevel = -1;
    let best: number | undefined;
    for (const p of this.#profiles) {
      if (p.connectorId !== connectorId || p.profile.chargingProfilePurpose !== purpose) continue;
      if (purpose === 'TxProfile' && p.profile.transactionId !== undefined && tx?.transactionId !== undefined && p.profile.transactionId !== tx.transactionId) continue;
      const ctx: EvaluationContext = { voltageV: this.#voltageV, installedAtMs: p.installedAtMs, ...(tx ? { txStartMs: tx.startMs } : {}) };
      const limit = limitAt(p.profile, atMs, ctx);
      if (limit !== undefined && p.profile.stackLevel > bestLevel) {
        bestLevel = p.profile.stackLevel;
        best = limit;
      }
    }
    return best;
  }

  /** The connector's own limit (W) from Tx/TxDefault profiles, before the charge-point cap. */
  connectorLimitW(c: ConnectorChargingContext, atMs: number): number | undefined {
    const tx = c.transaction;
    return (
      (tx ? this.#best('TxProfile', c.connectorId, atMs, tx) : undefined) ??
      this.#best('TxDefaultProfile', c.connectorId, atMs, tx) ??
      this.#best('TxDefaultProfile', 0, atMs, tx)
    );
  }

  chargePointLimitW(atMs: number): number | undefined {
    return this.#best('ChargePointMaxProfile', 0, atMs);
  }

  /** Effective limit (W) for each connector, the rating included. */
  effectiveLimitsW(connectors: readonly ConnectorChargingContext[], atMs: number): Map<number, number> {
    const out = new Map<number, number>();
    const cpLimit = this.chargePointLimitW(atMs);
    const sharing = Math.max(1, connectors.filter((c) => c.transaction).length);
    for (const c of connectors) {
      let limit = c.maxPowerW;
      const own = this.connectorLimitW(c, atMs);
      if (own !== undefined) limit = Math.min(limit, own);
      if (cpLimit !== undefined) limit = Math.min(limit, cpLimit / sharing);
      out.set(c.connectorId, Math.max(0, limit));
    }
    return out;
  }

  /** Next moment after `fromMs` (within `horizonMs`) at which some limit may change. */
  nextChangeMs(fromMs: number, horizonMs: number, txStarts: readonly number[]): number | undefined {
    let next: number | undefined;
    for (const p of this.#profiles) {
      const starts = txStarts.length ? txStarts : [undefined];
      for (const txStartMs of starts) {
        const ctx: EvaluationContext = { voltageV: this.#voltageV, installedAtMs: p.installedAtMs, ...(txStartMs !== undefined ? { txStartMs } : {}) };
        for (const t of breakpoints(p.profile, fromMs, fromMs + horizonMs, ctx)) if (next === undefined || t < next) next = t;
      }
    }
    return next;
  }

  /**
   * GetCompositeSchedule: the limits that will apply to a connector (0 = the whole charge point)
   * over `durationS` from `fromMs`, as periods relative to the start, in the requested unit.
   */
  compositeSchedule(
    c: ConnectorChargingContext,
    fromMs: number,
    durationS: number,
    unit: ChargingRateUnit,
  ): { startSchedule: string; duration: number; chargingRateUnit: ChargingRateUnit; chargingSchedulePeriod: Array<{ startPeriod: number; limit: number }> } {
    const toMs = fromMs + durationS * 1000;
    const points = new Set<number>([fromMs]);
    for (const p of this.#profiles) {
      if (c.connectorId !== 0 && p.connectorId !== 0 && p.connectorId !== c.connectorId) continue;
      const ctx: EvaluationContext = { voltageV: this.#voltageV, installedAtMs: p.installedAtMs, ...(c.transaction ? { txStartMs: c.transaction.startMs } : {}) };
      for (const t of breakpoints(p.profile, fromMs, toMs, ctx)) points.add(t);
    }
    const periods: Array<{ startPeriod: number; limit: number }> = [];
    for (const t of [...points].sort((a, b) => a - b)) {
      const cp = this.chargePointLimitW(t);
      let w: number;
      if (c.connectorId === 0) w = cp ?? c.maxPowerW;
      else {
        const own = this.connectorLimitW(c, t);
        w = Math.min(c.maxPowerW, own ?? Number.POSITIVE_INFINITY, cp ?? Number.POSITIVE_INFINITY);
      }
      const limit = unit === 'W' ? Math.round(w) : Math.round((w / (this.#voltageV * 3)) * 10) / 10;
      const last = periods[periods.length - 1];
      if (last && last.limit === limit) continue;
      periods.push({ startPeriod: Math.round((t - fromMs) / 1000), limit });
    }
    return { startSchedule: new Date(fromMs).toISOString(), duration: durationS, chargingRateUnit: unit, chargingSchedulePeriod: periods };
  }

  #save(): void {
    this.#file.write(this.#profiles);
  }
}
