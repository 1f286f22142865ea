import { createHash, timingSafeEqual } from 'node:crypto';
import { normalizeIp } from './connection-limits.js';
import { isSlowAuthKeyHash, verifyAuthKey } from './credentials.js';

/**
 * Keeps Basic-auth checks affordable under a flood of wrong passwords (docs/ocpp-gateway.md
 * "Password checks"):
 *
 * - a per-process cache of verified keys: identity → (stored hash, SHA-256 of the password that
 *   verified against it). A charger that reconnects with the same key costs one SHA-256, not a
 *   scrypt run. The entry is used only while the stored hash is the same (a rotated key misses);
 *   it lives in memory only, so an attacker with the database gains nothing from it.
 * - failed handshakes (wrong password, unknown id) are counted per address; past
 *   `maxFailuresPerIp` within `failureWindowMs` the address is answered 429 before any lookup or
 *   hashing until its window ends. Other addresses are not affected.
 * - slow (scrypt) checks run at most `slowConcurrency` at once overall and one at a time per
 *   address, so one address can never hold the hashing capacity other chargers need; the failure
 *   budget is checked again right before hashing.
 */
export interface AuthGuardOptions {
  maxFailuresPerIp: number;
  failureWindowMs: number;
  /** Concurrent scrypt checks overall (default 2: libuv's pool has 4 threads, leave some for file I/O). */
  slowConcurrency?: number;
  /** Most identities kept in the verified-key cache. */
  maxCachedKeys?: number;
  now?: () => number;
}

export type AuthCheck = 'ok' | 'wrong' | 'throttled';

interface FailureWindow {
  start: number;
  count: number;
}

export class AuthGuard {
  readonly #options: Required<Omit<AuthGuardOptions, 'now'>>;
  readonly #now: () => number;
  readonly #failures = new Map<string, FailureWindow>();
  readonly #verified = new Map<string, { stored: string; digest: Buffer }>();
  readonly #slowBusy = new Set<string>();
  #slowRunning = 0;
  readonly #slowQueue: Array<{ ip: string; go: () => void }> = [];
  /** Figures for logs and benchmarks. */
  readonly stats = { cacheHits: 0, fastChecks: 0, slowChecks: 0, throttled: 0 };

  constructor(options: AuthGuardOptions) {
    this.#options = { slowConcurrency: 2, maxCachedKeys: 200_000, ...options };
    this.#now = options.now ?? Date.now;
  }

  /** Seconds until `address` may try again, or 0 when it is not throttled. */
  blockedFor(address: string | undefined): number {
    const w = this.#failures.get(normalizeIp(address));
    if (!w) return 0;
    const elapsed = this.#now() - w.start;
    if (elapsed >= this.#options.failureWindowMs) {
      this.#failures.delete(normalizeIp(address));
      return 0;
    }
    return w.count >= this.#options.maxFailuresPerIp ? Math.ceil((this.#options.failureWindowMs - elapsed) / 1000) : 0;
  }

  /** A handshake from `address` failed (wrong password, unknown id). */
  failed(address: string | undefined): void {
    const ip = normalizeIp(address);
    const now = this.#now();
    const w = this.#failures.get(ip);
    if (!w || now - w.start >= this.#options.failureWindowMs) {
      if (this.#failures.size >= 100_000) this.#sweep(now);
      this.#failures.set(ip, { start: now, count: 1 });
    } else {
      w.count++;
    }
  }

  /** Checks `password` for `identity` against `stored`, within the limits above. */
  async check(identity: string, address: string | undefined, password: Buffer, stored: string): Promise<AuthCheck> {
    const digest = createHash('sha256').update(password).digest();
    const cached = this.#verified.get(identity);
    if (cached && cached.stored === stored && timingSafeEqual(cached.digest, digest)) {
      this.stats.cacheHits++;
      return 'ok';
    }
    let ok: boolean;
    if (this.blockedFor(address) > 0) {
      this.stats.throttled++;
      return 'throttled';
    }
    if (!isSlowAuthKeyHash(stored)) {
      this.stats.fastChecks++;
      ok = await verifyAuthKey(password, stored);
    } else {
      const ip = normalizeIp(address);
      await this.#enterSlow(ip);
      try {
        // Re-checked right before hashing: failures recorded while this one waited count.
        if (this.blockedFor(ip) > 0) {
          this.stats.throttled++;
          return 'throttled';
        }
        this.stats.slowChecks++;
        ok = await verifyAuthKey(password, stored);
      } finally {
        this.#leaveSlow(ip);
      }
    }
    if (!ok) return 'wrong';
    if (this.#verified.size >= this.#options.maxCachedKeys && !this.#verified.has(identity)) {
      this.#verified.delete(this.#verified.keys().next().value!);
    }
    this.#verified.set(identity, { stored, digest });
    return 'ok';
  }

  #enterSlow(ip: string): Promise<void> {
    if (this.#slowRunning < this.#options.slowConcurrency && !this.#slowBusy.has(ip)) {
      this.#slowRunning++;
      this.#slowBusy.add(ip);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#slowQueue.push({ ip, go: resolve }));
  }

  #leaveSlow(ip: string): void {
    this.#slowRunning--;
    this.#slowBusy.delete(ip);
    // The first waiter whose address has no check running goes next (fair across addresses).
    const i = this.#slowQueue.findIndex((w) => !this.#slowBusy.has(w.ip));
    if (i >= 0 && this.#slowRunning < this.#options.slowConcurrency) {
      const [next] = this.#slowQueue.splice(i, 1);
      this.#slowRunning++;
      this.#slowBusy.add(next!.ip);
      next!.go();
    }
  }

  #sweep(now: number): void {
    for (const [ip, w] of this.#failures) if (now - w.start >= this.#options.failureWindowMs) this.#failures.delete(ip);
  }
}
