/**
 * One pending timer per key: `set` replaces (debounces) the key's pending timer, the callback
 * runs once and forgets its key, `delete`/`clear` cancel. Timers are `unref`ed, so
 * a pending one never keeps the process alive. For "check this connector 2 s after its last
 * status", "sync this charge point after it booted", "publish this key at the end of its window".
 */
export class KeyedTimers<K = string> {
  readonly #timers = new Map<K, NodeJS.Timeout>();

  /** Runs `fn` after `ms` under `key`, cancelling a timer still pending under that key. */
  set(key: K, ms: number, fn: () => void): void {
    clearTimeout(this.#timers.get(key));
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      fn();
    }, ms);
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** A timer is pending under `key`. */
  has(key: K): boolean {
    return this.#timers.has(key);
  }

  /** Pending timers. */
  get size(): number {
    return this.#timers.size;
  }

  /** Cancels the key's pending timer; true when there was one. */
  delete(key: K): boolean {
    const timer = this.#timers.get(key);
    if (timer === undefined) return false;
    clearTimeout(timer);
    return this.#timers.delete(key);
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
