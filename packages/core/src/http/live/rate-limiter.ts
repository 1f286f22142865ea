/**
 * A fixed-window request counter per key (client IP): at most `limit` hits per `windowMs`.
 * Memory stays bounded: windows that ended are swept at most once per window.
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; count: number }>();
  #lastSweep = 0;

  constructor(options: { limit: number; windowMs: number; now?: () => number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  /** Counts a hit; returns 0 when allowed, else the seconds until the key may try again. */
  hit(key: string): number {
    const now = this.#now();
    if (now - this.#lastSweep >= this.#windowMs) {
      this.#lastSweep = now;
      for (const [k, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(k);
    }
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.#windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    if (window.count <= this.#limit) return 0;
    return Math.max(1, Math.ceil((window.start + this.#windowMs - now) / 1000));
  }

  get size(): number {
    return this.#windows.size;
  }
}
