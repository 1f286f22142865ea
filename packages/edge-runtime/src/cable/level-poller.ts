import type { Logger } from '@charge-it/core/kernel';

export interface LevelPollerOptions {
  /** Reads the current state (true = EV connected); a throw is logged and the last state kept. */
  read(): Promise<boolean> | boolean;
  pollMs: number;
  /** A new state must be read continuously for this long before it is reported. */
  debounceMs: number;
  /** Called with the first stable state, then on every stable change. */
  onChange(connected: boolean): void;
  log: Logger;
  /** What is polled, for the log. */
  what: string;
  /** Clock for the debounce (tests). Default Date.now. */
  now?: () => number;
}

/**
 * Polls a boolean input and reports debounced changes: a state counts once it has been read
 * without interruption for `debounceMs` (contact bounce, a car that pauses for a second). One read
 * at a time; a failing read keeps the last state and is logged once until it recovers.
 */
export class LevelPoller {
  readonly #o: LevelPollerOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The state reported last (undefined before the first). */
  #reported: boolean | undefined;
  #candidate: { state: boolean; since: number } | undefined;
  #failing = false;

  constructor(options: LevelPollerOptions) {
    this.#o = options;
  }

  get state(): boolean | undefined {
    return this.#reported;
  }

  start(): void {
    this.#stopped = false;
    void this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      const state = await this.#o.read();
      if (this.#failing) this.#o.log.info({ input: this.#o.what }, 'cable input readable again');
      this.#failing = false;
      this.#see(state, (this.#o.now ?? Date.now)());
    } catch (err) {
      if (!this.#failing) this.#o.log.warn({ input: this.#o.what, err: String((err as Error)?.message ?? err) }, 'cable input cannot be read; keeping the last state');
      this.#failing = true;
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), this.#o.pollMs);
  }

  #see(state: boolean, now: number): void {
    if (state === this.#reported) {
      this.#candidate = undefined;
      return;
    }
    if (this.#candidate?.state !== state) this.#candidate = { state, since: now };
    if (now - this.#candidate.since >= this.#o.debounceMs) {
      this.#candidate = undefined;
      this.#reported = state;
      this.#o.onChange(state);
    }
  }
}
