import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { TariffSettings } from '../settings/settings-service.js';

/** What `computeCost` needs to price one session. */
export interface CostInput {
  tariff: TariffSettings;
  /** Energy delivered in Wh (rounded to whole Wh; negative counts as 0). */
  energyWh: number;
  startedAt: Date;
  /** Stop of the session (or "now" for a live estimate). */
  endedAt: Date;
  /**
   * When the car stopped drawing power while staying plugged in (see `chargingEndedAt` in
   * docs/tariffs-and-reservations.md); absent = it charged until `endedAt`, no idle time.
   */
  chargingEndedAt?: Date | null;
  /** Which clock the times come from, recorded in the breakdown (default 'charge-point'). */
  timeSource?: TimeSource;
}

/**
 * 'charge-point': the charger's timestamps (normal). 'server': the receive times, used when the
 * charger's clock was unset or ahead (transaction flagged clock-implausible / clock-skew).
 */
export type TimeSource = 'charge-point' | 'server';

/** How a cost was computed: everything needed to reproduce it, stored as `Transaction.costBreakdown`. */
export interface CostBreakdown {
  currency: 'IDR';
  /** The tariff used (a snapshot: later tariff changes do not alter it). */
  tariff: TariffSettings;
  energyWh: number;
  startedAt: string;
  endedAt: string;
  timeSource: TimeSource;
  /** endedAt − startedAt, never negative. */
  durationMs: number;
  chargingEndedAt: string | null;
  /** Idle time after charging ended, before the grace period is taken off. */
  idleMs: number;
  /** Idle time that is billed (idleMs − grace, never negative). */
  billedIdleMs: number;
  energy: number;
  time: number;
  idle: number;
  net: number;
  tax: number;
  total: number;
  rounding: 'half-up-per-part';
}

/** A session's price in whole rupiah (IDR has no minor unit). `total = net + tax`. */
export interface Cost {
  energy: number;
  time: number;
  idle: number;
  net: number;
  tax: number;
  total: number;
  breakdown: CostBreakdown;
}

const MS_PER_MINUTE = 60_000n;
/** Tax percent is applied in millionths of a percent so that e.g. 11 or 11.5 % are exact. */
const PERCENT_SCALE = 1_000_000n;

/**
 * Prices one session. Pure and exact (integer arithmetic, no floating-point money):
 *
 * - energy = energyWh × energyPricePerKwh / 1000
 * - time   = session duration × pricePerMinute, pro rata to the millisecond
 * - idle   = max(0, endedAt − chargingEndedAt − idleGraceMinutes) × idleFeePerMinute, pro rata
 * - each of the three parts is rounded half-up to whole rupiah, net = their sum,
 * - tax    = net × taxPercent / 100, rounded half-up, and total = net + tax.
 *
 * Rounding each part (rather than the sum) makes every line of a receipt add up exactly.
 */
export function computeCost(input: CostInput): Cost {
  const { tariff } = input;
  assertTariff(tariff);
  const energyWh = Math.max(0, Math.round(input.energyWh));
  const startedMs = input.startedAt.getTime();
  const endedMs = input.endedAt.getTime();
  const durationMs = Math.max(0, endedMs - startedMs);

  let chargingEndedMs: number | null = null;
  if (input.chargingEndedAt) {
    // A status timestamp outside the session (skewed clock) is pulled into it.
    chargingEndedMs = Math.min(Math.max(input.chargingEndedAt.getTime(), startedMs), Math.max(endedMs, startedMs));
  }
  const idleMs = chargingEndedMs === null ? 0 : Math.max(0, endedMs - chargingEndedMs);
  const billedIdleMs = Math.max(0, idleMs - tariff.idleGraceMinutes * 60_000);

  const energy = divRoundHalfUp(BigInt(energyWh) * BigInt(tariff.energyPricePerKwh), 1000n);
  const time = divRoundHalfUp(BigInt(durationMs) * BigInt(tariff.pricePerMinute), MS_PER_MINUTE);
  const idle = divRoundHalfUp(BigInt(billedIdleMs) * BigInt(tariff.idleFeePerMinute), MS_PER_MINUTE);
  const net = energy + time + idle;
  const taxMillionths = BigInt(Math.round(tariff.taxPercent * Number(PERCENT_SCALE)));
  const tax = divRoundHalfUp(net * taxMillionths, 100n * PERCENT_SCALE);
  const total = net + tax;

  const parts = { energy: Number(energy), time: Number(time), idle: Number(idle), net: Number(net), tax: Number(tax), total: Number(total) };
  return {
    ...parts,
    breakdown: {
      currency: 'IDR',
      tariff: { ...tariff },
      energyWh,
      startedAt: input.startedAt.toISOString(),
      endedAt: input.endedAt.toISOString(),
      timeSource: input.timeSource ?? 'charge-point',
      durationMs,
      chargingEndedAt: chargingEndedMs === null ? null : new Date(chargingEndedMs).toISOString(),
      idleMs,
      billedIdleMs,
      ...parts,
      rounding: 'half-up-per-part',
    },
  };
}

const WHOLE_RUPIAH_FIELDS = ['energyPricePerKwh', 'pricePerMinute', 'idleFeePerMinute', 'idleGraceMinutes'] as const;

function assertTariff(tariff: TariffSettings): void {
  const problems: Record<string, string> = {};
  for (const f of WHOLE_RUPIAH_FIELDS) {
    if (!(typeof tariff[f] === 'number' && Number.isInteger(tariff[f]) && tariff[f] >= 0)) problems[`tariff.${f}`] = 'must be a whole number ≥ 0';
  }
  if (!(typeof tariff.taxPercent === 'number' && Number.isFinite(tariff.taxPercent) && tariff.taxPercent >= 0 && tariff.taxPercent <= 100)) {
    problems['tariff.taxPercent'] = 'must be a percentage from 0 to 100';
  }
  if (Object.keys(problems).length > 0) {
    throw new CsmsError(CsmsErrorCode.SETTING_INVALID, `invalid tariff: ${Object.entries(problems).map(([f, p]) => `${f} ${p}`).join('; ')}`, {
      details: { fields: problems },
    });
  }
}

/** numerator / denominator rounded half-up, for numerator ≥ 0 and denominator > 0. */
function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** The tariff snapshot stored in a transaction's costBreakdown, or null if there is none (or it is malformed). */
export function tariffFromBreakdown(breakdown: Record<string, unknown> | null | undefined): TariffSettings | null {
  const tariff = breakdown?.tariff as Record<string, unknown> | undefined;
  if (!tariff || typeof tariff !== 'object') return null;
  const fields = ['energyPricePerKwh', 'pricePerMinute', 'idleFeePerMinute', 'idleGraceMinutes', 'taxPercent'] as const;
  const ok = (f: (typeof fields)[number]) =>
    typeof tariff[f] === 'number' && (f === 'taxPercent' ? Number.isFinite(tariff[f]) : Number.isInteger(tariff[f])) && (tariff[f] as number) >= 0;
  if (!fields.every(ok)) return null;
  return Object.fromEntries(fields.map((f) => [f, tariff[f]])) as unknown as TariffSettings;
}
