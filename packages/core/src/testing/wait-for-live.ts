import type { LiveSnapshot, LiveStateService } from '../domain/live/live-types.js';

export interface WaitForLiveOptions {
  /** Give up after this long (default 10 s; be generous on a loaded machine). */
  timeoutMs?: number;
  /** Also re-check this often, for changes that send no event (e.g. `lastSeenAt`); default 50 ms. */
  pollMs?: number;
}

/**
 * Resolves with the first live snapshot for which `predicate` returns true (checked now, after each
 * live event, and every `pollMs`). Rejects after `timeoutMs` with the last snapshot in the message.
 * Cleans up its subscription and timers either way.
 *
 * ```ts
 * const snap = await waitForLive(csms.services.get('live'), (s) => s.site.sessionsRunning === 1);
 * ```
 */
export function waitForLive(
  live: LiveStateService,
  predicate: (snapshot: LiveSnapshot) => boolean,
  options: WaitForLiveOptions = {},
): Promise<LiveSnapshot> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;
  return new Promise<LiveSnapshot>((resolve, reject) => {
    let done = false;
    let last: LiveSnapshot | undefined;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(poll);
      clearTimeout(timer);
      outcome();
    };
    const check = () => {
      if (done) return;
      try {
        last = live.snapshot();
        if (predicate(last)) finish(() => resolve(last!));
      } catch (err) {
        finish(() => reject(err));
      }
    };
    const unsubscribe = live.subscribe(() => check());
    const poll = setInterval(check, pollMs);
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new Error(`waitForLive: the predicate did not hold within ${timeoutMs} ms; last snapshot: ${JSON.stringify(last ?? live.snapshot())}`)),
        ),
      timeoutMs,
    );
    check();
  });
}
