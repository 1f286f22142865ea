/**
 * Coalescing, throttled writer in front of Firebase. Callers `put(key, paths)` the latest state of
 * one thing (a connector, a station); the writer sends it as part of one multi-path update.
 *
 * - Coalesced: a newer `put` for a key replaces the older one still waiting, so memory holds at most
 *   one waiting and one unacknowledged state per key, however long Firebase is away.
 * - Throttled: a key is sent at most once per `throttleMs`; an `urgent` put (a status change) goes
 *   out at once.
 * - One write in flight per key: the next state of a key waits for Firebase to acknowledge the
 *   previous one. The Realtime Database SDK queues writes while offline and resends them when it is
 *   back, so during an outage nothing piles up, and on return the latest state wins.
 * - `put` never waits and never throws: it only touches a map and a timer.
 */
export type PathValues = Record<string, unknown>;

export interface MirrorSink {
  /** One multi-path update (`ref().update(paths)`); resolves when the server acknowledged it. */
  update(paths: PathValues): Promise<void>;
}

export interface MirrorWriterOptions {
  sink: MirrorSink;
  /** Minimum time between two writes of the same key (ms). */
  throttleMs: number;
  /** Called with an error when a write failed (the state is kept and retried). */
  onError?: (err: unknown, keys: readonly string[]) => void;
  /** First pause after a failed write (ms), doubled per failure up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  now?: () => number;
}

export interface MirrorWriterStats {
  /** Keys with a state waiting to be sent. */
  pendingKeys: number;
  /** Keys whose last write Firebase has not acknowledged yet. */
  inFlightKeys: number;
  /** Updates (batches) sent, acknowledged, failed. */
  batchesSent: number;
  batchesAcked: number;
  batchesFailed: number;
  /** States written, and states replaced by a newer one before they were sent. */
  statesSent: number;
  statesCoalesced: number;
  /** Time of the last acknowledged write (ms since epoch), null before the first. */
  lastAckAt: number | null;
  lastError: string | null;
}

interface Entry {
  paths: PathValues;
  urgent: boolean;
}

export class MirrorWriter {
  readonly #sink: MirrorSink;
  readonly #throttleMs: number;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  readonly #now: () => number;
  readonly #onError: (err: unknown, keys: readonly string[]) => void;
  readonly #pending = new Map<string, Entry>();
  readonly #inFlight = new Set<string>();
  readonly #lastSentAt = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #retryAt = 0;
  #failures = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  readonly #stats = { batchesSent: 0, batchesAcked: 0, batchesFailed: 0, statesSent: 0, statesCoalesced: 0, lastAckAt: null as number | null, lastError: null as string | null };

  constructor(options: MirrorWriterOptions) {
    this.#sink = options.sink;
    this.#throttleMs = Math.max(0, options.throttleMs);
    this.#retryMs = options.retryMs ?? 2_000;
    this.#maxRetryMs = options.maxRetryMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  /** Queues the latest state of `key`. Never blocks, never throws. */
  put(key: string, paths: PathValues, options: { urgent?: boolean } = {}): void {
    if (this.#closed) return;
    const prev = this.#pending.get(key);
    if (prev) this.#stats.statesCoalesced++;
    this.#pending.set(key, { paths, urgent: Boolean(options.urgent) || Boolean(prev?.urgent) });
    this.#schedule();
  }

  stats(): MirrorWriterStats {
    return { ...this.#stats, pendingKeys: this.#pending.size, inFlightKeys: this.#inFlight.size };
  }

  /** Whether `key` has a state waiting or unacknowledged. */
  busy(key: string): boolean {
    return this.#pending.has(key) || this.#inFlight.has(key);
  }

  /** Resolves when everything put so far is acknowledged, or false after `timeoutMs`. */
  idle(timeoutMs = 30_000): Promise<boolean> {
    if (this.#pending.size === 0 && this.#inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.push(done);
    });
  }

  /** Stops sending (what is in flight stays with the SDK). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
    this.#notifyIdle(true);
  }

  #dueAt(key: string, entry: Entry): number {
    if (this.#inFlight.has(key)) return Infinity; // rescheduled on the ack
    const earliest = Math.max(this.#retryAt, entry.urgent ? 0 : (this.#lastSentAt.get(key) ?? -Infinity) + this.#throttleMs);
    return earliest;
  }

  #schedule(): void {
    if (this.#closed) return;
    let next = Infinity;
    for (const [key, entry] of this.#pending) next = Math.min(next, this.#dueAt(key, entry));
    if (next === Infinity) return;
    const now = this.#now();
    const at = Math.max(now, next);
    if (this.#timer && this.#timerAt <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    // Even an immediate flush waits for the end of this turn, so puts of one event go in one update.
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#flush();
    }, at - now);
    this.#timer.unref?.();
  }

  #flush(): void {
    if (this.#closed) return;
    const now = this.#now();
    const keys: string[] = [];
    const paths: PathValues = {};
    for (const [key, entry] of this.#pending) {
      if (this.#dueAt(key, entry) > now) continue;
      keys.push(key);
      Object.assign(paths, entry.paths);
    }
    if (keys.length > 0) {
      const sent = new Map<string, Entry>();
      for (const key of keys) {
        sent.set(key, this.#pending.get(key)!);
        this.#pending.delete(key);
        this.#inFlight.add(key);
        this.#lastSentAt.set(key, now);
      }
      this.#stats.batchesSent++;
      this.#stats.statesSent += keys.length;
      let result: Promise<void>;
      try {
        result = Promise.resolve(this.#sink.update(paths));
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        () => {
          this.#failures = 0;
          this.#retryAt = 0;
          this.#stats.batchesAcked++;
          this.#stats.lastAckAt = this.#now();
          for (const key of keys) this.#inFlight.delete(key);
          this.#afterSettle();
        },
        (err: unknown) => {
          this.#failures++;
          this.#retryAt = this.#now() + Math.min(this.#maxRetryMs, this.#retryMs * 2 ** (this.#failures - 1));
          this.#stats.batchesFailed++;
          this.#stats.lastError = err instanceof Error ? err.message : String(err);
          for (const key of keys) {
            this.#inFlight.delete(key);
            // Keep the failed state unless a newer one arrived meanwhile.
            if (!this.#pending.has(key) && !this.#closed) this.#pending.set(key, sent.get(key)!);
          }
          try {
            this.#onError(err, keys);
          } catch {
            /* a logger must not break the writer */
          }
          this.#afterSettle();
        },
      );
    }
    this.#schedule();
  }

  #afterSettle(): void {
    this.#schedule();
    if (this.#pending.size === 0 && this.#inFlight.size === 0) this.#notifyIdle(true);
  }

  #notifyIdle(_: boolean): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
