import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface LoadGaugeOptions {
  /**
   * Background work waits while the event loop was busy more than this share of the last interval
   * (0–1; default 0.7). 1 never defers anything.
   */
  busyAbove: number;
  /** Longest one background task waits for a calm interval before it runs anyway (default 60 s): nothing starves. */
  maxDeferMs: number;
  /** How often the utilisation is sampled (default 250 ms). */
  intervalMs: number;
}

const DEFAULT_LOAD_GAUGE_OPTIONS: Readonly<LoadGaugeOptions> = Object.freeze({ busyAbove: 0.7, maxDeferMs: 60_000, intervalMs: 250 });

interface Waiter {
  resolve: () => void;
  deadline: number;
}

/**
 * How busy this process is: the event-loop utilisation (the share of time the loop ran code rather
 * than waiting for I/O) over the last interval, the measure `@fastify/under-pressure` uses.
 *
 * Work nobody waits for right now, such as the automatic local-list sync after a boot or the
 * healing check of a connector, awaits `calm()` first. In a reconnect storm the loop is saturated
 * by handshakes, Boots and StatusNotifications; the background work then waits until the storm is
 * served, instead of taking the CPU the chargers' handshakes need (before this, the sync and the
 * checks that thousands of Boots schedule cost more CPU than the Boots themselves). Once the loop
 * is calm again the deferred work runs, and while it runs it checks again before each task, so it
 * never takes more than the spare time. A task waits at most `maxDeferMs`.
 */
export class LoadGauge {
  readonly #options: LoadGaugeOptions;
  #previous: EventLoopUtilization = performance.eventLoopUtilization();
  #utilization = 0;
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: Partial<LoadGaugeOptions> = {}) {
    this.#options = { ...DEFAULT_LOAD_GAUGE_OPTIONS, ...options };
  }

  /** The event-loop utilisation of the last interval (0–1). */
  get utilization(): number {
    return this.#utilization;
  }

  /** Whether background work waits now. */
  get busy(): boolean {
    return !this.#closed && this.#utilization > this.#options.busyAbove;
  }

  /** Starts sampling (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#previous = performance.eventLoopUtilization();
    this.#timer = setInterval(() => this.#sample(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /**
   * Resolves at once when the loop is calm, otherwise at the first calm sample, or after
   * `maxDeferMs`, or at `close()`.
   */
  calm(): Promise<void> {
    if (!this.busy || !this.#timer) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ resolve, deadline: performance.now() + this.#options.maxDeferMs }));
  }

  /** Stops sampling and releases every waiter. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#release(() => true);
  }

  #sample(): void {
    const now = performance.eventLoopUtilization();
    this.#utilization = performance.eventLoopUtilization(now, this.#previous).utilization;
    this.#previous = now;
    if (!this.busy) {
      this.#release(() => true);
      return;
    }
    const at = performance.now();
    this.#release((waiter) => waiter.deadline <= at);
  }

  #release(due: (waiter: Waiter) => boolean): void {
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (due(waiter)) waiter.resolve();
      else keep.push(waiter);
    }
    this.#waiters = keep;
  }
}
