/** What `withTimeout` resolves to when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol.for('charge-it.timed-out');

/**
 * Awaits `work` for at most `ms` milliseconds: its value, or `TIMED_OUT` when the time ran out
 * first. `work` may be a promise or a function; a function is called at once, inside this async
 * function, so a synchronous throw becomes a rejection like any other. A function that returns a
 * plain value (a synchronous plugin hook: most are) resolves with it and starts no timer: a
 * reconnect storm makes several hook calls per charger. A rejection of `work` within the time is
 * passed on. The timer is always cleared (nothing keeps the process alive afterwards); the work
 * itself is not cancelled, and a rejection after the timeout is swallowed (it has no one to tell).
 *
 * ```ts
 * const answer = await withTimeout(() => plugin.decide(call), 2_000);
 * if (answer === TIMED_OUT) log.warn('no decision within 2 s');
 * ```
 */
export async function withTimeout<T>(work: Promise<T> | (() => T | Promise<T>), ms: number): Promise<T | typeof TIMED_OUT> {
  const result = typeof work === 'function' ? work() : work;
  if (!isThenable(result)) return result;
  const running = Promise.resolve(result);
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

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
