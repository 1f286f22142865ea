/**
 * Site load management: how much power each running session may draw. A pure function, so that
 * the rules can be checked exhaustively without chargers or a database.
 *
 * All arithmetic is in whole watts (inputs in kW are rounded to the watt, outputs are rounded
 * DOWN to the watt), so the sum of the limits never exceeds the site limit through float error.
 */

export interface AllocationCharger {
  chargePointId: string;
  /** The most the whole charger can draw (kW); its sessions share it. */
  maxKw: number;
}

export interface AllocationSession {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  /** Age order: the oldest sessions keep their minimum when the site cannot give it to everyone. */
  startedAt: Date | number;
  /**
   * A limit that cannot be changed now (its charger is offline, so no new profile can reach it):
   * it is counted as drawn first, and the others share what is left.
   */
  fixedKw?: number;
  /**
   * An advised upper limit (kW), e.g. from an advisor that knows the session needs less to get its
   * expected energy before it leaves (see `LoadManagementService.setSessionAdvisor`). The session
   * never gets more; what it leaves goes to the others. Never below the per-session minimum.
   */
  capKw?: number;
}

export interface AllocationInput {
  /** The site's maximum grid power (kW). */
  siteLimitKw: number;
  /** Every running session gets at least this (kW), as long as the site limit allows. */
  minPerSessionKw: number;
  chargers: readonly AllocationCharger[];
  sessions: readonly AllocationSession[];
}

/**
 * Why a session got its limit:
 * - `fair-share`: the common water level (everyone who is not capped gets the same);
 * - `charger-max`: capped by its charger's maximum (shared by the sessions on that charger);
 * - `minimum`: raised to the per-session minimum;
 * - `paused`: the site cannot give it the minimum, so it gets 0 W (charging suspended);
 * - `fixed`: its limit could not be changed (see `fixedKw`);
 * - `advised`: capped by its advised limit (see `capKw`).
 */
export type AllocationReason = 'fair-share' | 'charger-max' | 'minimum' | 'paused' | 'fixed' | 'advised';

export interface SessionAllocation {
  transactionId: number;
  chargePointId: string;
  connectorId: number;
  limitW: number;
  limitKw: number;
  reason: AllocationReason;
}

export interface AllocationResult {
  siteLimitW: number;
  /** Sum of every limit, fixed ones included. */
  allocatedW: number;
  /** One entry per input session, oldest first. */
  allocations: SessionAllocation[];
}

const toW = (kw: number): number => Math.max(0, Math.round(kw * 1000));

/**
 * Shares the site limit between the running sessions.
 *
 * 1. Fixed sessions are counted first (they draw what they draw).
 * 2. Admission, oldest first: a session is admitted when its minimum still fits under the site
 *    limit and under its charger's maximum, given the minimums of the sessions admitted before
 *    it. The others are paused (0 W): when the site cannot give everyone the minimum, the sessions
 *    that started first keep charging, rather than everybody getting an amount too small to charge
 *    at (most EVs stop below ~1.4 kW / 6 A anyway).
 * 3. Water-filling over the admitted sessions: every session gets the same level λ, except that a
 *    session never gets less than its minimum and a charger's sessions never get more than an
 *    equal split of the charger's maximum; λ is the highest level whose total fits the site
 *    limit, so power a capped session cannot use goes to the others.
 *
 * The minimum of a session on a charger whose maximum is below the site minimum is that maximum.
 * Throws a RangeError when a session's charger is missing from `chargers`.
 */
export function allocatePower(input: AllocationInput): AllocationResult {
  const siteLimitW = toW(input.siteLimitKw);
  const minW = toW(input.minPerSessionKw);
  const maxByCharger = new Map(input.chargers.map((c) => [c.chargePointId, toW(c.maxKw)]));
  const sessions = [...input.sessions].sort(
    (a, b) => +a.startedAt - +b.startedAt || a.transactionId - b.transactionId,
  );
  for (const s of sessions) {
    if (!maxByCharger.has(s.chargePointId)) {
      throw new RangeError(`session ${s.transactionId} is on charge point ${s.chargePointId}, which is not in the chargers list`);
    }
  }

  // 1. Fixed sessions use their share of the site and of their charger first.
  const capacity = new Map(maxByCharger);
  let budget = siteLimitW;
  const limits = new Map<number, { limitW: number; reason: AllocationReason }>();
  for (const s of sessions) {
    if (s.fixedKw === undefined) continue;
    const w = toW(s.fixedKw);
    limits.set(s.transactionId, { limitW: w, reason: 'fixed' });
    budget = Math.max(0, budget - w);
    capacity.set(s.chargePointId, Math.max(0, capacity.get(s.chargePointId)! - w));
  }

  // 2. Admission, oldest first.
  const floorOf = (chargePointId: string) => Math.min(minW, capacity.get(chargePointId)!);
  const admitted = new Map<string, number[]>(); // charger → transaction ids
  let floorsW = 0;
  const chargerFloors = new Map<string, number>();
  for (const s of sessions) {
    if (s.fixedKw !== undefined) continue;
    const floor = floorOf(s.chargePointId);
    const onCharger = chargerFloors.get(s.chargePointId) ?? 0;
    if (floorsW + floor <= budget && onCharger + floor <= capacity.get(s.chargePointId)!) {
      floorsW += floor;
      chargerFloors.set(s.chargePointId, onCharger + floor);
      admitted.set(s.chargePointId, [...(admitted.get(s.chargePointId) ?? []), s.transactionId]);
    } else {
      limits.set(s.transactionId, { limitW: 0, reason: 'paused' });
    }
  }

  // 3. Water-filling. Per charger c with k sessions, each gets max(floor_c, min(λ, cap_c / k)),
  // or max(floor_c, min(λ, cap_c / k, advised cap)) for a session with `capKw`.
  const capOf = new Map(sessions.filter((s) => s.capKw !== undefined).map((s) => [s.transactionId, toW(s.capKw!)]));
  const groups: { ids: number[]; floor: number; share: number; advised: boolean }[] = [];
  for (const [chargePointId, ids] of admitted) {
    const share = capacity.get(chargePointId)! / ids.length;
    const plain = ids.filter((id) => !(capOf.get(id)! < share));
    if (plain.length) groups.push({ ids: plain, floor: floorOf(chargePointId), share, advised: false });
    for (const id of ids) if (capOf.get(id)! < share) groups.push({ ids: [id], floor: floorOf(chargePointId), share: capOf.get(id)!, advised: true });
  }
  const total = (level: number) =>
    groups.reduce((sum, g) => sum + g.ids.length * Math.max(g.floor, Math.min(level, g.share)), 0);
  const level = waterLevel(groups, total, budget);
  for (const g of groups) {
    const exact = Math.max(g.floor, Math.min(level, g.share));
    const reason: AllocationReason =
      exact === g.floor && g.floor > Math.min(level, g.share) ? 'minimum' : g.share <= level ? (g.advised ? 'advised' : 'charger-max') : 'fair-share';
    for (const id of g.ids) limits.set(id, { limitW: Math.floor(exact), reason });
  }
  // λ comes from a float division: if it landed a hair above the exact value, a floor may have
  // gone one watt too high. Take such watts back from the largest limits above their floor.
  let excess = groups.reduce((sum, g) => sum + g.ids.reduce((s, id) => s + limits.get(id)!.limitW, 0), 0) - budget;
  for (const g of [...groups].sort((a, b) => b.share - a.share)) {
    for (const id of g.ids) {
      const entry = limits.get(id)!;
      if (excess <= 0) break;
      if (entry.limitW > g.floor) {
        entry.limitW -= 1;
        excess -= 1;
      }
    }
  }

  const allocations = sessions.map((s) => {
    const { limitW, reason } = limits.get(s.transactionId)!;
    return { transactionId: s.transactionId, chargePointId: s.chargePointId, connectorId: s.connectorId, limitW, limitKw: limitW / 1000, reason };
  });
  return { siteLimitW, allocatedW: allocations.reduce((sum, a) => sum + a.limitW, 0), allocations };
}

/**
 * The highest λ with total(λ) ≤ budget. total is continuous, non-decreasing and linear between
 * the groups' floors and shares, so it is solved exactly on the segment where it crosses budget.
 * Infinity when even every charger at its maximum fits.
 */
function waterLevel(groups: readonly { floor: number; share: number }[], total: (level: number) => number, budget: number): number {
  const points = [...new Set(groups.flatMap((g) => [g.floor, g.share]))].sort((a, b) => a - b);
  if (points.length === 0 || total(points[points.length - 1]!) <= budget) return Number.POSITIVE_INFINITY;
  let low = 0;
  for (const high of points) {
    if (high <= low) continue;
    const atHigh = total(high);
    if (atHigh > budget) {
      const atLow = total(low);
      // Linear on [low, high]; atLow ≤ budget < atHigh, so the slope is positive.
      return low + ((budget - atLow) * (high - low)) / (atHigh - atLow);
    }
    low = high;
  }
  return low;
}
