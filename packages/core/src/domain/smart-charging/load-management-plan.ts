/**
 * Load management's pure planner: from the site settings, the charge points, the running
 * transactions and the stored profiles, the profiles that should be in force on each charger
 * (fail-safe ChargePointMaxProfile + TxDefaultProfile, one TxProfile per session). No I/O; the
 * reconciler (LoadManagementService) compares this with the ChargingProfile table and sends the
 * difference.
 */
import type { ChargingProfile } from '../../ocpp/v16/central-system-messages.js';
import type { ChargingScheduleJson } from '../../persistence/entities/index.js';
import { allocatePower, type AllocationResult } from './allocate-power.js';
import { failSafeLimits, type FailSafeLimit } from './fail-safe-limits.js';
import { chargePointMaxProfile, singleLimitW, TX_DEFAULT_PROFILE_ID, txDefaultProfile, txProfile, txProfileId } from './load-management-profiles.js';

/** The key of a (charge point, chargingProfileId) pair in the plan and in the reconciler's maps. */
export const keyOf = (chargePointId: string, chargingProfileId: number): string => `${chargePointId}\u0000${chargingProfileId}`;

/** A profile that should be in force on a charger. */
export interface DesiredProfile {
  key: string;
  chargePointId: string;
  connectorId: number;
  profile: ChargingProfile;
  limitW: number;
  /** A fail-safe profile (ChargePointMaxProfile or TxDefaultProfile), re-sent at every boot. */
  failSafe: boolean;
}

export interface LoadManagementPlanInput {
  site: { maxGridPowerKw: number | null; defaultChargePointMaxKw: number; minPowerPerConnectorKw: number };
  chargePoints: readonly { id: string; registrationStatus?: string | null; maxPowerKw?: unknown }[];
  /** Running transactions, oldest first. */
  active: readonly { id: number; chargePoint: string; connectorId: number; startReceivedAt: Date }[];
  /** Stored load-management profiles (not Cleared) by `keyOf(chargePoint, chargingProfileId)`. */
  rowByKey: ReadonlyMap<string, { status: string; schedule: ChargingScheduleJson }>;
  /** The charger is connected and Accepted (an unreachable one keeps the limit it has). */
  reachable: (chargePointId: string) => boolean;
  /** A session advisor's caps (kW) by transactionId. */
  advice: ReadonlyMap<number, number>;
  now: Date;
}

export interface LoadManagementPlan {
  desired: Map<string, DesiredProfile>;
  /** null when load management is off (no site limit). */
  result: AllocationResult | null;
  failSafe: Map<string, FailSafeLimit>;
}

/** The profiles that should be in force (nothing when `site.maxGridPowerKw` is null). */
export function planDesiredProfiles(input: LoadManagementPlanInput): LoadManagementPlan {
  const { site, chargePoints, active, rowByKey, reachable, advice, now } = input;
  const desired = new Map<string, DesiredProfile>();
  const add = (chargePointId: string, connectorId: number, profile: ChargingProfile, limitW: number, failSafe: boolean) => {
    const key = keyOf(chargePointId, profile.chargingProfileId);
    desired.set(key, { key, chargePointId, connectorId, profile, limitW, failSafe });
  };
  let result: AllocationResult | null = null;
  let failSafe = new Map<string, FailSafeLimit>();
  if (site.maxGridPowerKw !== null) {
    // A double column may come back as a string from some drivers.
    const maxKwOf = (cp: { maxPowerKw?: unknown }) => (cp.maxPowerKw == null ? site.defaultChargePointMaxKw : Number(cp.maxPowerKw));
    const eligible = chargePoints.filter((cp) => cp.registrationStatus !== 'Rejected');
    failSafe = failSafeLimits({
      siteLimitKw: site.maxGridPowerKw,
      minPerSessionKw: site.minPowerPerConnectorKw,
      chargers: eligible.map((cp) => ({ chargePointId: cp.id, maxKw: maxKwOf(cp) })),
    });
    for (const [chargePointId, f] of failSafe) {
      add(chargePointId, 0, chargePointMaxProfile(f.chargePointMaxW, now), f.chargePointMaxW, true);
      add(chargePointId, 0, txDefaultProfile(f.txDefaultW), f.txDefaultW, true);
    }
    // A charger never gets more than its ChargePointMaxProfile lets it draw.
    const chargers = chargePoints.map((cp) => ({
      chargePointId: cp.id,
      maxKw: Math.min(maxKwOf(cp), (failSafe.get(cp.id)?.chargePointMaxW ?? Number.POSITIVE_INFINITY) / 1000),
    }));
    const known = new Set(chargers.map((c) => c.chargePointId));
    const inForceW = (tx: (typeof active)[number]): number => {
      const own = rowByKey.get(keyOf(tx.chargePoint, txProfileId(tx.id)));
      if (own?.status === 'Accepted') return singleLimitW(own.schedule) ?? 0;
      const txDefault = rowByKey.get(keyOf(tx.chargePoint, TX_DEFAULT_PROFILE_ID));
      if (txDefault?.status === 'Accepted') return singleLimitW(txDefault.schedule) ?? 0;
      return chargers.find((c) => c.chargePointId === tx.chargePoint)!.maxKw * 1000;
    };
    result = allocatePower({
      siteLimitKw: site.maxGridPowerKw,
      minPerSessionKw: site.minPowerPerConnectorKw,
      chargers,
      // A charger that is offline keeps the limit it has; the others share what is left.
      sessions: active
        .filter((tx) => known.has(tx.chargePoint))
        .map((tx) => ({
          transactionId: tx.id,
          chargePointId: tx.chargePoint,
          connectorId: tx.connectorId,
          startedAt: tx.startReceivedAt,
          ...(reachable(tx.chargePoint) ? {} : { fixedKw: inForceW(tx) / 1000 }),
          ...(advice.has(tx.id) && Number.isFinite(advice.get(tx.id)) && advice.get(tx.id)! >= 0 ? { capKw: advice.get(tx.id)! } : {}),
        })),
    });
    for (const a of result.allocations) {
      if (a.reason !== 'fixed') add(a.chargePointId, a.connectorId, txProfile(a.transactionId, a.limitW), a.limitW, false);
    }
  }
  return { desired, result, failSafe };
}

/** The order profiles are sent in: ChargePointMaxProfile, TxDefaultProfile, TxProfiles; by connector. */
export function byProfileOrder(a: DesiredProfile, b: DesiredProfile): number {
  const rank = (d: DesiredProfile) => (d.profile.chargingProfilePurpose === 'ChargePointMaxProfile' ? 0 : d.profile.chargingProfilePurpose === 'TxDefaultProfile' ? 1 : 2);
  return rank(a) - rank(b) || a.connectorId - b.connectorId;
}
