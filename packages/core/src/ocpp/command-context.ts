import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Defaults for the commands sent while `fn` runs, e.g. the REST API's `?timeoutMs=`: an endpoint
 * that sends its commands through a domain service (reservations, charging profiles, the local
 * list) gets the caller's timeout without every service passing it along.
 */
const scope = new AsyncLocalStorage<{ timeoutMs?: number }>();

export function withCommandDefaults<T>(defaults: { timeoutMs?: number | undefined }, fn: () => T): T {
  return defaults.timeoutMs === undefined ? fn() : scope.run({ timeoutMs: defaults.timeoutMs }, fn);
}

/** The timeout set by the innermost `withCommandDefaults`, if any. */
export function scopedCommandTimeout(): number | undefined {
  return scope.getStore()?.timeoutMs;
}
