/** The time source of the CSMS; tests replace it to make timestamps and expiry deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
