/**
 * Counts failed logins per IP and per username in a sliding 15-minute window. Over the limit,
 * login answers 429 until the oldest failure leaves the window; a success clears the username.
 */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: { limit: number; windowMs?: number; now?: () => number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds to wait, or 0 when a login may be tried. */
  retryAfter(ip: string, username: string): number {
    return Math.max(this.#wait(`ip:${ip}`), this.#wait(`user:${username.toLowerCase()}`));
  }

  fail(ip: string, username: string): void {
    for (const key of [`ip:${ip}`, `user:${username.toLowerCase()}`]) {
      const list = this.#recent(key);
      list.push(this.#now());
      this.#failures.set(key, list);
    }
    if (this.#failures.size > 10_000) this.#failures.clear(); // bounded memory under a spray attack
  }

  succeed(username: string): void {
    this.#failures.delete(`user:${username.toLowerCase()}`);
  }

  #recent(key: string): number[] {
    const cutoff = this.#now() - this.#windowMs;
    return (this.#failures.get(key) ?? []).filter((t) => t > cutoff);
  }

  #wait(key: string): number {
    const list = this.#recent(key);
    if (list.length < this.#limit) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.#limit]! + this.#windowMs - this.#now()) / 1000));
  }
}
