import type { ChargingProfile } from '../../ocpp/v16/central-system-messages.js';

/**
 * The charging profiles site load management sends, and the chargingProfileId range it owns.
 *
 * OCPP ids are per charge point; a profile with the same id replaces the old one on the charger
 * (S16 §5.16.2). Load management uses ids from 1,000,000,000 up (operators' profiles must stay
 * below), so that it can find, replace and clear its own profiles without touching the others':
 * - 2,000,000,001 ChargePointMaxProfile (connector 0, fail-safe)
 * - 2,000,000,002 TxDefaultProfile (connector 0, fail-safe)
 * - 1,000,000,000 + (transactionId mod 1,000,000,000) TxProfile of one transaction
 */
export const LOAD_MANAGEMENT_ID_BASE = 1_000_000_000;
export const CHARGE_POINT_MAX_PROFILE_ID = 2_000_000_001;
export const TX_DEFAULT_PROFILE_ID = 2_000_000_002;

/**
 * The stack level of every load management profile. 0 is accepted by every charger (some
 * support only a few levels). A profile with the same purpose and stack level on a connector
 * replaces ours, so operators' profiles use levels ≥ 1 while load management is on (a higher
 * level takes precedence over ours within its purpose).
 */
export const LOAD_MANAGEMENT_STACK_LEVEL = 0;

export function txProfileId(transactionId: number): number {
  return LOAD_MANAGEMENT_ID_BASE + (transactionId % LOAD_MANAGEMENT_ID_BASE);
}

export function isLoadManagementProfileId(chargingProfileId: number): boolean {
  return chargingProfileId >= LOAD_MANAGEMENT_ID_BASE;
}

const singlePeriod = (limitW: number) => [{ startPeriod: 0, limit: limitW }];

/**
 * TxProfile for one transaction. Relative: the schedule starts with the transaction, so it does
 * not depend on the charger's clock.
 */
export function txProfile(transactionId: number, limitW: number): ChargingProfile {
  return {
    chargingProfileId: txProfileId(transactionId),
    transactionId,
    stackLevel: LOAD_MANAGEMENT_STACK_LEVEL,
    chargingProfilePurpose: 'TxProfile',
    chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: singlePeriod(limitW) },
  };
}

/** TxDefaultProfile for every connector (sent to connector 0); Relative: applies from each transaction's start. */
export function txDefaultProfile(limitW: number): ChargingProfile {
  return {
    chargingProfileId: TX_DEFAULT_PROFILE_ID,
    stackLevel: LOAD_MANAGEMENT_STACK_LEVEL,
    chargingProfilePurpose: 'TxDefaultProfile',
    chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: singlePeriod(limitW) },
  };
}

/**
 * ChargePointMaxProfile (connector 0). Absolute with a start one day in the past and no
 * duration, so it is in force at once and for good, even on a charger whose clock lags (a
 * Relative one has no transaction to be relative to, and an Absolute one without startSchedule is
 * read by some chargers as "from the start of charging").
 */
export function chargePointMaxProfile(limitW: number, now: Date): ChargingProfile {
  const start = new Date(Math.floor(now.getTime() / 1000) * 1000 - 86_400_000);
  return {
    chargingProfileId: CHARGE_POINT_MAX_PROFILE_ID,
    stackLevel: LOAD_MANAGEMENT_STACK_LEVEL,
    chargingProfilePurpose: 'ChargePointMaxProfile',
    chargingProfileKind: 'Absolute',
    chargingSchedule: { startSchedule: start.toISOString(), chargingRateUnit: 'W', chargingSchedulePeriod: singlePeriod(limitW) },
  };
}

/** The limit of a single-period W schedule (what load management sends); undefined for others. */
export function singleLimitW(schedule: { chargingRateUnit: string; chargingSchedulePeriod: { limit: number }[] }): number | undefined {
  return schedule.chargingRateUnit === 'W' && schedule.chargingSchedulePeriod.length === 1 ? schedule.chargingSchedulePeriod[0]!.limit : undefined;
}
