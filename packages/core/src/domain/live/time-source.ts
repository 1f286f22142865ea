import type { TimeSource } from '../tariffs/compute-cost.js';

/** Flags that say the charger's clock cannot be trusted for a session (as the final cost treats them). */
const UNTRUSTED_CLOCK_FLAGS = new Set(['clock-implausible', 'clock-skew']);

/** 'server' (receive times) for a session flagged with an untrusted clock, else 'charge-point'. */
export function timeSourceOf(flags: readonly string[] | null | undefined): TimeSource {
  return (flags ?? []).some((f) => UNTRUSTED_CLOCK_FLAGS.has(f)) ? 'server' : 'charge-point';
}
