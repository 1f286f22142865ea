/** What `withTimeout` resolves to when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol.for('charge-it.timed-out');

/**
 * Awaits `work` for at most `ms` milliseconds: its value, or `TIMED_OUT` when the time ran out
 * first. `work` may be a promise or a function; a function runs on the next microtask, so a
 * synchronous throw becomes a rejection like any other. A rejection of `work` within the time is
 * passed on. The timer is always cleared (nothing keeps the process alive afterwards); the work
 * itself is not cancelled, and a rejection after the timeout is swallowed (it has no one to tell).
 *
 * ```ts
 * const answer = await withTimeout(() => plugin.decide(call), 2_000);
 * if (answer === TIMED_OUT) log.warn('no decision within 2 s');
 * ```
 */
export async function withTimeout<T>(work: Promise<T> | (() => T | Promise<T>), ms: number): Promise<T | typeof TIMED_OUT> {
  const running = typeof work === 'function' ? Promise.resolve().then(work) : work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    const outcome = await Promise.race([running, timeout]);
    if (outcome === TIMED_OUT) running.catch(() => {});
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
