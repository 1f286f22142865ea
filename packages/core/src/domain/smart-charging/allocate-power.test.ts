import { describe, expect, it } from 'vitest';
import { allocatePower, type AllocationInput, type AllocationSession } from './allocate-power.js';

const session = (transactionId: number, chargePointId: string, extra: Partial<AllocationSession> = {}): AllocationSession => ({
  transactionId,
  chargePointId,
  connectorId: 1,
  startedAt: transactionId * 1000,
  ...extra,
});

const limits = (input: AllocationInput) => Object.fromEntries(allocatePower(input).allocations.map((a) => [a.transactionId, a.limitW]));
const reasons = (input: AllocationInput) => Object.fromEntries(allocatePower(input).allocations.map((a) => [a.transactionId, a.reason]));

describe('allocatePower', () => {
  it('gives nothing when nothing runs', () => {
    expect(allocatePower({ siteLimitKw: 10, minPerSessionKw: 1.4, chargers: [], sessions: [] })).toEqual({ siteLimitW: 10_000, allocatedW: 0, allocations: [] });
  });

  it('shares equally when every charger can take its share', () => {
    const input = {
      siteLimitKw: 30,
      minPerSessionKw: 1.4,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 22 },
        { chargePointId: 'C', maxKw: 22 },
      ],
      sessions: [session(1, 'A'), session(2, 'B'), session(3, 'C')],
    };
    expect(limits(input)).toEqual({ 1: 10_000, 2: 10_000, 3: 10_000 });
    expect(reasons(input)).toEqual({ 1: 'fair-share', 2: 'fair-share', 3: 'fair-share' });
    expect(allocatePower(input).allocatedW).toBe(30_000);
  });

  it('caps a session at its charger maximum and gives the rest to the others (water-filling)', () => {
    const input = {
      siteLimitKw: 30,
      minPerSessionKw: 1.4,
      chargers: [
        { chargePointId: 'A', maxKw: 3.7 },
        { chargePointId: 'B', maxKw: 22 },
        { chargePointId: 'C', maxKw: 11 },
      ],
      sessions: [session(1, 'A'), session(2, 'B'), session(3, 'C')],
    };
    // A takes 3.7; B and C share 26.3 → 13.15 each, but C stops at 11; B gets 15.3.
    expect(limits(input)).toEqual({ 1: 3_700, 2: 15_300, 3: 11_000 });
    expect(reasons(input)).toEqual({ 1: 'charger-max', 2: 'fair-share', 3: 'charger-max' });
  });

  it('leaves power unused when every charger is at its maximum', () => {
    const input = {
      siteLimitKw: 100,
      minPerSessionKw: 1.4,
      chargers: [
        { chargePointId: 'A', maxKw: 7.4 },
        { chargePointId: 'B', maxKw: 11 },
      ],
      sessions: [session(1, 'A'), session(2, 'B')],
    };
    expect(limits(input)).toEqual({ 1: 7_400, 2: 11_000 });
    expect(allocatePower(input).allocatedW).toBe(18_400);
  });

  it('makes sessions on one charger share its maximum', () => {
    const input = {
      siteLimitKw: 50,
      minPerSessionKw: 1.4,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 22 },
      ],
      sessions: [session(1, 'A', { connectorId: 1 }), session(2, 'A', { connectorId: 2 }), session(3, 'B')],
    };
    expect(limits(input)).toEqual({ 1: 11_000, 2: 11_000, 3: 22_000 });
  });

  it('pauses the newest sessions when the site cannot give everyone the minimum', () => {
    const input = {
      siteLimitKw: 5,
      minPerSessionKw: 2,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 22 },
        { chargePointId: 'C', maxKw: 22 },
      ],
      // Started in the order B (1), C (2), A (3): A is the newest.
      sessions: [session(3, 'A'), session(1, 'B'), session(2, 'C')],
    };
    expect(limits(input)).toEqual({ 1: 2_500, 2: 2_500, 3: 0 });
    expect(reasons(input)).toEqual({ 1: 'fair-share', 2: 'fair-share', 3: 'paused' });
    // Output is oldest first.
    expect(allocatePower(input).allocations.map((a) => a.transactionId)).toEqual([1, 2, 3]);
  });

  it('orders by start time, not by transaction id', () => {
    const input = {
      siteLimitKw: 3,
      minPerSessionKw: 2,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 22 },
      ],
      sessions: [session(1, 'A', { startedAt: new Date(5_000) }), session(2, 'B', { startedAt: new Date(1_000) })],
    };
    expect(limits(input)).toEqual({ 1: 0, 2: 3_000 });
  });

  it('gives exactly the minimum to everyone when the site holds just that', () => {
    const input = {
      siteLimitKw: 6,
      minPerSessionKw: 2,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 22 },
        { chargePointId: 'C', maxKw: 22 },
      ],
      sessions: [session(1, 'A'), session(2, 'B'), session(3, 'C')],
    };
    expect(limits(input)).toEqual({ 1: 2_000, 2: 2_000, 3: 2_000 });
  });

  it('pauses a second session on a charger whose maximum cannot hold two minimums, and skips to one that fits', () => {
    const input = {
      siteLimitKw: 20,
      minPerSessionKw: 2,
      chargers: [
        { chargePointId: 'A', maxKw: 3 },
        { chargePointId: 'B', maxKw: 22 },
      ],
      sessions: [session(1, 'A', { connectorId: 1 }), session(2, 'A', { connectorId: 2 }), session(3, 'B')],
    };
    expect(limits(input)).toEqual({ 1: 3_000, 2: 0, 3: 17_000 });
  });

  it('uses the charger maximum as the minimum of a charger weaker than the site minimum', () => {
    const input = {
      siteLimitKw: 10,
      minPerSessionKw: 2,
      chargers: [
        { chargePointId: 'A', maxKw: 1 },
        { chargePointId: 'B', maxKw: 22 },
      ],
      sessions: [session(1, 'A'), session(2, 'B')],
    };
    expect(limits(input)).toEqual({ 1: 1_000, 2: 9_000 });
  });

  it('counts fixed sessions first and shares the rest', () => {
    const input = {
      siteLimitKw: 20,
      minPerSessionKw: 1.4,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 22 },
        { chargePointId: 'C', maxKw: 22 },
      ],
      sessions: [session(1, 'A', { fixedKw: 8 }), session(2, 'B'), session(3, 'C')],
    };
    expect(limits(input)).toEqual({ 1: 8_000, 2: 6_000, 3: 6_000 });
    expect(reasons(input)[1]).toBe('fixed');
  });

  it('gives 0 to everyone else when fixed sessions already exceed the site', () => {
    const input = {
      siteLimitKw: 5,
      minPerSessionKw: 1.4,
      chargers: [
        { chargePointId: 'A', maxKw: 22 },
        { chargePointId: 'B', maxKw: 22 },
      ],
      sessions: [session(1, 'A', { fixedKw: 7 }), session(2, 'B')],
    };
    expect(limits(input)).toEqual({ 1: 7_000, 2: 0 });
  });

  it('admits everyone with a 0 minimum', () => {
    const input = {
      siteLimitKw: 1,
      minPerSessionKw: 0,
      chargers: [{ chargePointId: 'A', maxKw: 22 }, { chargePointId: 'B', maxKw: 22 }, { chargePointId: 'C', maxKw: 22 }],
      sessions: [session(1, 'A'), session(2, 'B'), session(3, 'C')],
    };
    expect(limits(input)).toEqual({ 1: 333, 2: 333, 3: 333 });
  });

  it('never exceeds the site limit through float rounding (kW with decimals)', () => {
    const input = {
      siteLimitKw: 4.35,
      minPerSessionKw: 0.1,
      chargers: [{ chargePointId: 'A', maxKw: 1.45 }, { chargePointId: 'B', maxKw: 22 }, { chargePointId: 'C', maxKw: 22 }],
      sessions: [session(1, 'A'), session(2, 'B'), session(3, 'C')],
    };
    const result = allocatePower(input);
    expect(result.siteLimitW).toBe(4_350);
    expect(result.allocatedW).toBeLessThanOrEqual(4_350);
    expect(limits(input)).toEqual({ 1: 1_450, 2: 1_450, 3: 1_450 });
  });

  it('refuses a session whose charger is unknown', () => {
    expect(() => allocatePower({ siteLimitKw: 10, minPerSessionKw: 1, chargers: [], sessions: [session(1, 'X')] })).toThrow(RangeError);
  });
});

/** Small deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function randomInput(seed: number): AllocationInput {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const chargerCount = 1 + Math.floor(r() * 6);
  const chargers = Array.from({ length: chargerCount }, (_, i) => ({
    chargePointId: `CP-${i}`,
    maxKw: pick([1, 3.7, 7.4, 11, 22, 50, Math.round(r() * 60_000) / 1000 + 0.5]),
  }));
  const sessionCount = Math.floor(r() * 12);
  const sessions: AllocationSession[] = Array.from({ length: sessionCount }, (_, i) => ({
    transactionId: i + 1,
    chargePointId: pick(chargers).chargePointId,
    connectorId: 1 + Math.floor(r() * 3),
    startedAt: Math.floor(r() * 1_000_000),
    ...(r() < 0.1 ? { fixedKw: Math.round(r() * 10_000) / 1000 } : {}),
  }));
  return {
    siteLimitKw: Math.round((0.5 + r() * 80) * 1000) / 1000,
    minPerSessionKw: pick([0, 1.4, 2, 4.14, Math.round(r() * 6000) / 1000]),
    chargers,
    sessions,
  };
}

describe('allocatePower over random inputs (properties)', () => {
  const seeds = Array.from({ length: 3000 }, (_, i) => i + 1);

  it('covers every case (the properties below are not vacuous)', () => {
    const seen = new Map<string, number>();
    for (const seed of seeds) {
      for (const a of allocatePower(randomInput(seed)).allocations) seen.set(a.reason, (seen.get(a.reason) ?? 0) + 1);
    }
    for (const reason of ['fair-share', 'charger-max', 'paused', 'fixed']) expect(seen.get(reason) ?? 0, reason).toBeGreaterThan(100);
  });

  it('never allocates more than the site limit (beyond fixed sessions), nor more than a charger maximum', () => {
    for (const seed of seeds) {
      const input = randomInput(seed);
      const { allocations } = allocatePower(input);
      const siteW = Math.round(input.siteLimitKw * 1000);
      const fixedW = allocations.filter((a) => a.reason === 'fixed').reduce((s, a) => s + a.limitW, 0);
      const managedW = allocations.filter((a) => a.reason !== 'fixed').reduce((s, a) => s + a.limitW, 0);
      expect(managedW, `seed ${seed}`).toBeLessThanOrEqual(Math.max(0, siteW - fixedW));
      for (const c of input.chargers) {
        const onCharger = allocations.filter((a) => a.chargePointId === c.chargePointId).reduce((s, a) => s + a.limitW, 0);
        const fixedOnCharger = allocations.filter((a) => a.chargePointId === c.chargePointId && a.reason === 'fixed').reduce((s, a) => s + a.limitW, 0);
        expect(onCharger - fixedOnCharger, `seed ${seed} charger ${c.chargePointId}`).toBeLessThanOrEqual(Math.max(0, Math.round(c.maxKw * 1000) - fixedOnCharger));
      }
      for (const a of allocations) expect(a.limitW, `seed ${seed}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives every admitted session at least its minimum, and pauses only sessions whose minimum did not fit, oldest first', () => {
    for (const seed of seeds) {
      const input = randomInput(seed);
      const { allocations } = allocatePower(input);
      const minW = Math.round(input.minPerSessionKw * 1000);
      const siteW = Math.round(input.siteLimitKw * 1000);
      const fixed = allocations.filter((a) => a.reason === 'fixed');
      const capacity = new Map(input.chargers.map((c) => [c.chargePointId, Math.round(c.maxKw * 1000)]));
      for (const f of fixed) capacity.set(f.chargePointId, Math.max(0, capacity.get(f.chargePointId)! - f.limitW));
      const floorOf = (id: string) => Math.min(minW, capacity.get(id)!);
      let budget = Math.max(0, siteW - fixed.reduce((s, a) => s + a.limitW, 0));
      const chargerFloors = new Map<string, number>();
      // Replays admission in the output order (oldest first).
      for (const a of allocations.filter((x) => x.reason !== 'fixed')) {
        const floor = floorOf(a.chargePointId);
        const fits = floor <= budget && (chargerFloors.get(a.chargePointId) ?? 0) + floor <= capacity.get(a.chargePointId)!;
        if (a.reason === 'paused') {
          expect(fits, `seed ${seed}: tx ${a.transactionId} paused although its minimum fits`).toBe(false);
          expect(a.limitW).toBe(0);
        } else {
          expect(fits, `seed ${seed}: tx ${a.transactionId} admitted although its minimum does not fit`).toBe(true);
          expect(a.limitW, `seed ${seed}: tx ${a.transactionId} below its minimum`).toBeGreaterThanOrEqual(floor);
          budget -= floor;
          chargerFloors.set(a.chargePointId, (chargerFloors.get(a.chargePointId) ?? 0) + floor);
        }
      }
    }
  });

  it('is fair: a session gets less than another only when its charger or the minimum rule holds it there', () => {
    for (const seed of seeds) {
      const input = randomInput(seed);
      const { allocations } = allocatePower(input);
      const managed = allocations.filter((a) => a.reason === 'fair-share');
      if (managed.length === 0) continue;
      const level = Math.max(...managed.map((a) => a.limitW));
      for (const a of managed) expect(level - a.limitW, `seed ${seed}`).toBeLessThanOrEqual(1);
      for (const a of allocations.filter((x) => x.reason === 'charger-max')) {
        // Capped sessions sit below the common level (or at it, within a watt).
        expect(a.limitW, `seed ${seed}`).toBeLessThanOrEqual(level + 1);
      }
      for (const a of allocations.filter((x) => x.reason === 'minimum')) expect(a.limitW, `seed ${seed}`).toBeGreaterThanOrEqual(level - 1);
    }
  });

  it('uses the whole site limit unless every admitted session is at its charger maximum', () => {
    for (const seed of seeds) {
      const input = randomInput(seed);
      const { allocations } = allocatePower(input);
      const siteW = Math.round(input.siteLimitKw * 1000);
      const fixedW = allocations.filter((a) => a.reason === 'fixed').reduce((s, a) => s + a.limitW, 0);
      const managed = allocations.filter((a) => a.reason !== 'fixed' && a.reason !== 'paused');
      if (managed.some((a) => a.reason === 'fair-share')) {
        const used = managed.reduce((s, a) => s + a.limitW, 0);
        // Rounding down to the watt loses at most one watt per session.
        expect(Math.max(0, siteW - fixedW) - used, `seed ${seed}`).toBeLessThanOrEqual(managed.length);
      }
    }
  });
});

describe('allocatePower with advised caps (capKw)', () => {
  const chargers = [{ chargePointId: 'A', maxKw: 22 }, { chargePointId: 'B', maxKw: 22 }];
  const base = { siteLimitKw: 30, minPerSessionKw: 1.4, chargers };

  it('caps an advised session and gives what it leaves to the others', () => {
    const plain = allocatePower({ ...base, sessions: [{ transactionId: 1, chargePointId: 'A', connectorId: 1, startedAt: 1 }, { transactionId: 2, chargePointId: 'B', connectorId: 1, startedAt: 2 }] });
    expect(plain.allocations.map((a) => a.limitW)).toEqual([15000, 15000]);
    const advised = allocatePower({ ...base, sessions: [{ transactionId: 1, chargePointId: 'A', connectorId: 1, startedAt: 1, capKw: 5 }, { transactionId: 2, chargePointId: 'B', connectorId: 1, startedAt: 2 }] });
    expect(advised.allocations.map((a) => [a.limitW, a.reason])).toEqual([
      [5000, 'advised'],
      [22000, 'charger-max'],
    ]);
    expect(advised.allocatedW).toBeLessThanOrEqual(30000);
  });

  it('never advises below the minimum and ignores a cap above the fair share', () => {
    const r = allocatePower({ ...base, sessions: [{ transactionId: 1, chargePointId: 'A', connectorId: 1, startedAt: 1, capKw: 0.5 }, { transactionId: 2, chargePointId: 'A', connectorId: 2, startedAt: 2, capKw: 40 }] });
    expect(r.allocations.map((a) => [a.limitW, a.reason])).toEqual([
      [1400, 'minimum'],
      // A charger's sessions each get at most an equal split of the charger (11 kW here), as without advice.
      [11000, 'charger-max'],
    ]);
  });
});
