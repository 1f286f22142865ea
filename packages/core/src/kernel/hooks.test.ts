import { describe, expect, it } from 'vitest';
import { CsmsError, CsmsErrorCode } from './errors.js';
import { HookRunner, type DecideHookSpec, type HookKinds, type ObserveHookSpec } from './hooks.js';
import type { Logger } from './logger.js';

type TestHooks = {
  onBoot: DecideHookSpec<{ id: string }, string | number | boolean>;
  onEvent: ObserveHookSpec<{ n: number }>;
  onOther: ObserveHookSpec<string>;
};

const kinds: HookKinds<TestHooks> = { onBoot: 'decide', onEvent: 'observe', onOther: 'observe' };

interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** Collects every log call (with child bindings merged in) so tests can assert on them. */
function recordingLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const at =
    (level: LogEntry['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') entries.push({ level, obj: { ...bindings }, msg: objOrMsg });
      else entries.push({ level, obj: { ...bindings, ...(objOrMsg as Record<string, unknown>) }, msg });
    };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  };
}

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const never = (): Promise<never> => new Promise<never>(() => {});

function runner(options: { decideTimeoutMs?: number; observeTimeoutMs?: number } = {}) {
  const log = recordingLogger();
  const hooks = new HookRunner<TestHooks>({ kinds, log, ...options });
  return { hooks, log };
}

function expectCsmsError(fn: () => unknown, code: CsmsErrorCode): CsmsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CsmsError);
    expect((err as CsmsError).code).toBe(code);
    return err as CsmsError;
  }
  throw new Error(`expected a CsmsError ${code}, nothing was thrown`);
}

describe('HookRunner registration', () => {
  it('refuses registrations after freeze() with REGISTRATION_CLOSED', () => {
    const { hooks } = runner();
    hooks.register('early', { onBoot: () => 'Accepted' });
    hooks.freeze();
    const err = expectCsmsError(() => hooks.register('late', { onEvent: () => {} }), CsmsErrorCode.REGISTRATION_CLOSED);
    expect(err.message).toContain('"late"');
    expect(hooks.has('onEvent')).toBe(false);
  });

  it('rejects an unknown hook name with PLUGIN_INVALID naming the plugin, the hook and the known hooks', () => {
    const { hooks } = runner();
    const err = expectCsmsError(
      () => hooks.register('typo', { onBot: () => 'Accepted' } as never),
      CsmsErrorCode.PLUGIN_INVALID,
    );
    expect(err.message).toContain('"typo"');
    expect(err.message).toContain('"onBot"');
    expect(err.message).toContain('onBoot, onEvent, onOther');
    expect(err.details).toEqual({ plugin: 'typo', hook: 'onBot' });
  });

  it('rejects hook names that only exist on Object.prototype', () => {
    const { hooks } = runner();
    for (const name of ['toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expectCsmsError(() => hooks.register('proto', { [name]: () => undefined } as never), CsmsErrorCode.PLUGIN_INVALID);
    }
  });

  it('rejects a handler that is not a function with PLUGIN_INVALID', () => {
    const { hooks } = runner();
    const err = expectCsmsError(() => hooks.register('bad', { onBoot: 'Accepted' } as never), CsmsErrorCode.PLUGIN_INVALID);
    expect(err.details).toEqual({ plugin: 'bad', hook: 'onBoot' });
  });

  it('skips handlers given as undefined and reports has() per hook', () => {
    const { hooks } = runner();
    expect(hooks.has('onBoot')).toBe(false);
    hooks.register('p', { onBoot: undefined, onEvent: () => {} });
    expect(hooks.has('onBoot')).toBe(false);
    expect(hooks.has('onEvent')).toBe(true);
  });
});

describe('HookRunner.decide', () => {
  it('returns undefined when no plugin handles the hook', async () => {
    const { hooks } = runner();
    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBeUndefined();
  });

  it('asks plugins in registration order and the first defined answer wins', async () => {
    const { hooks } = runner();
    const asked: string[] = [];
    hooks.register('first', {
      onBoot: (arg) => {
        asked.push(`first:${arg.id}`);
        return undefined;
      },
    });
    hooks.register('second', {
      onBoot: async (arg) => {
        asked.push(`second:${arg.id}`);
        return 'from second';
      },
    });
    hooks.register('third', {
      onBoot: () => {
        asked.push('third');
        return 'from third';
      },
    });
    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBe('from second');
    expect(asked).toEqual(['first:CP1', 'second:CP1']);
  });

  it('counts falsy but defined answers (false, 0, empty string) as decisions', async () => {
    for (const answer of [false, 0, '']) {
      const { hooks } = runner();
      let laterAsked = false;
      hooks.register('falsy', { onBoot: () => answer });
      hooks.register('later', {
        onBoot: () => {
          laterAsked = true;
          return 'later';
        },
      });
      expect(await hooks.decide('onBoot', { id: 'CP1' })).toBe(answer);
      expect(laterAsked).toBe(false);
    }
  });

  it('returns undefined when every plugin passes with undefined', async () => {
    const { hooks } = runner();
    hooks.register('a', { onBoot: () => undefined });
    hooks.register('b', { onBoot: async () => undefined });
    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBeUndefined();
  });

  it('logs a throwing or rejecting plugin with plugin + hook and asks the next one', async () => {
    const { hooks, log } = runner();
    const syncError = new Error('sync boom');
    const asyncError = new Error('async boom');
    hooks.register('throws', {
      onBoot: () => {
        throw syncError;
      },
    });
    hooks.register('rejects', { onBoot: async () => Promise.reject(asyncError) });
    hooks.register('answers', { onBoot: () => 'Accepted' });

    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBe('Accepted');
    const errors = log.entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => e.obj)).toEqual([
      { plugin: 'throws', hook: 'onBoot', err: syncError },
      { plugin: 'rejects', hook: 'onBoot', err: asyncError },
    ]);
  });

  it('skips a plugin that does not answer within decideTimeoutMs and logs it', async () => {
    const { hooks, log } = runner({ decideTimeoutMs: 20 });
    hooks.register('hangs', { onBoot: never });
    hooks.register('answers', { onBoot: () => 'Accepted' });

    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBe('Accepted');
    const warnings = log.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((e) => e.obj)).toEqual([{ plugin: 'hangs', hook: 'onBoot', timeoutMs: 20 }]);
  });

  it('returns undefined when the only plugin times out', async () => {
    const { hooks } = runner({ decideTimeoutMs: 20 });
    hooks.register('hangs', { onBoot: never });
    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBeUndefined();
  });

  it('still works after freeze()', async () => {
    const { hooks } = runner();
    hooks.register('p', { onBoot: () => 'Accepted' });
    hooks.freeze();
    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBe('Accepted');
  });
});

describe('HookRunner.observe', () => {
  it('runs handlers asynchronously, after observe() has returned, and never throws into the caller', async () => {
    const { hooks } = runner();
    const seen: string[] = [];
    hooks.register('throws', {
      onEvent: () => {
        seen.push('throws');
        throw new Error('boom');
      },
    });
    hooks.register('records', { onEvent: ({ n }) => void seen.push(`records:${n}`) });

    expect(() => hooks.observe('onEvent', { n: 1 }, 'CP1')).not.toThrow();
    expect(seen).toEqual([]);
    await hooks.drain();
    expect(seen).toEqual(['throws', 'records:1']);
  });

  it('does nothing when no plugin handles the hook', async () => {
    const { hooks } = runner();
    hooks.observe('onEvent', { n: 1 }, 'CP1');
    expect(hooks.queueCount).toBe(0);
    await hooks.drain();
  });

  it('runs one key strictly serially, in call order, even with async handlers of different delays', async () => {
    const { hooks } = runner();
    const trace: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const delays = [15, 0, 8, 1, 4];
    const handler =
      (plugin: string) =>
      async ({ n }: { n: number }): Promise<void> => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        trace.push(`start ${plugin} ${n}`);
        await sleep(delays[n] ?? 0);
        trace.push(`end ${plugin} ${n}`);
        running--;
      };
    hooks.register('a', { onEvent: handler('a') });
    hooks.register('b', { onEvent: handler('b') });

    for (let n = 0; n < delays.length; n++) hooks.observe('onEvent', { n }, 'CP1');
    await hooks.drain();

    const expected = delays.flatMap((_, n) => [`start a ${n}`, `end a ${n}`, `start b ${n}`, `end b ${n}`]);
    expect(trace).toEqual(expected);
    expect(maxRunning).toBe(1);
  });

  it('stays serial for events that arrive while earlier ones of the same key are still running', { timeout: 2_000 }, async () => {
    const { hooks } = runner();
    const release = [deferred(), deferred(), deferred()];
    const started = [deferred(), deferred(), deferred()];
    const trace: string[] = [];
    let running = 0;
    let maxRunning = 0;
    hooks.register('p', {
      onEvent: async ({ n }) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        trace.push(`start ${n}`);
        started[n]!.resolve();
        await release[n]!.promise;
        trace.push(`end ${n}`);
        running--;
      },
    });

    hooks.observe('onEvent', { n: 0 }, 'CP1');
    hooks.observe('onEvent', { n: 1 }, 'CP1');
    release[0]!.resolve();
    await started[1]!.promise; // event 0 is done, its queue link settled; event 1 runs
    hooks.observe('onEvent', { n: 2 }, 'CP1');
    await new Promise((r) => setImmediate(r));
    expect(trace).toEqual(['start 0', 'end 0', 'start 1']);
    expect(hooks.queueCount).toBe(1);

    release[1]!.resolve();
    release[2]!.resolve();
    await hooks.drain();
    expect(trace).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    expect(maxRunning).toBe(1);
  });

  it('keeps the order across different hooks sharing a key', async () => {
    const { hooks } = runner();
    const trace: string[] = [];
    hooks.register('p', {
      onEvent: async ({ n }) => {
        await sleep(10);
        trace.push(`event ${n}`);
      },
      onOther: (s) => void trace.push(`other ${s}`),
    });
    hooks.observe('onEvent', { n: 1 }, 'CP1');
    hooks.observe('onOther', 'x', 'CP1');
    hooks.observe('onEvent', { n: 2 }, 'CP1');
    await hooks.drain();
    expect(trace).toEqual(['event 1', 'other x', 'event 2']);
  });

  it('runs different keys independently: a blocked key does not hold up another', { timeout: 2_000 }, async () => {
    const { hooks } = runner();
    const releaseA = deferred();
    const bDone = deferred();
    const trace: string[] = [];
    hooks.register('p', {
      onEvent: async ({ n }) => {
        if (n === 1) await releaseA.promise;
        trace.push(`done ${n}`);
        if (n === 2) bDone.resolve();
      },
    });

    hooks.observe('onEvent', { n: 1 }, 'A');
    hooks.observe('onEvent', { n: 2 }, 'B');
    await bDone.promise; // hangs (test timeout) if B waits for A
    expect(trace).toEqual(['done 2']);

    releaseA.resolve();
    await hooks.drain();
    expect(trace).toEqual(['done 2', 'done 1']);
  });

  it('a throwing handler stops neither the next handler nor the next event, and is logged with plugin + hook', async () => {
    const { hooks, log } = runner();
    const seen: string[] = [];
    const syncError = new Error('sync boom');
    const asyncError = new Error('async boom');
    hooks.register('flaky', {
      onEvent: async ({ n }) => {
        seen.push(`flaky ${n}`);
        if (n === 1) throw syncError;
        if (n === 2) await Promise.reject(asyncError);
      },
    });
    hooks.register('steady', { onEvent: ({ n }) => void seen.push(`steady ${n}`) });

    hooks.observe('onEvent', { n: 1 }, 'CP1');
    hooks.observe('onEvent', { n: 2 }, 'CP1');
    hooks.observe('onEvent', { n: 3 }, 'CP1');
    await hooks.drain();

    expect(seen).toEqual(['flaky 1', 'steady 1', 'flaky 2', 'steady 2', 'flaky 3', 'steady 3']);
    const errors = log.entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => e.obj)).toEqual([
      { plugin: 'flaky', hook: 'onEvent', err: syncError },
      { plugin: 'flaky', hook: 'onEvent', err: asyncError },
    ]);
  });

  it('times out a hung handler (observeTimeoutMs) and moves the queue on', async () => {
    const { hooks, log } = runner({ observeTimeoutMs: 20 });
    const seen: string[] = [];
    hooks.register('hangs', { onEvent: ({ n }) => (n === 1 ? never() : undefined) });
    hooks.register('steady', { onEvent: ({ n }) => void seen.push(`steady ${n}`) });

    hooks.observe('onEvent', { n: 1 }, 'CP1');
    hooks.observe('onEvent', { n: 2 }, 'CP1');
    await hooks.drain();

    expect(seen).toEqual(['steady 1', 'steady 2']);
    const warnings = log.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((e) => e.obj)).toEqual([{ plugin: 'hangs', hook: 'onEvent', timeoutMs: 20 }]);
  });

  it('uses one shared queue when no key is given', async () => {
    const { hooks } = runner();
    const trace: number[] = [];
    hooks.register('p', {
      onEvent: async ({ n }) => {
        await sleep(n === 1 ? 10 : 0);
        trace.push(n);
      },
    });
    hooks.observe('onEvent', { n: 1 });
    hooks.observe('onEvent', { n: 2 });
    expect(hooks.queueCount).toBe(1);
    await hooks.drain();
    expect(trace).toEqual([1, 2]);
  });
});

describe('HookRunner.drain', () => {
  it('resolves at once when nothing is queued', async () => {
    const { hooks } = runner();
    await hooks.drain();
    expect(hooks.queueCount).toBe(0);
  });

  it('waits for everything, including events queued while draining (by handlers and by callers)', async () => {
    const { hooks } = runner();
    const release = deferred();
    const done: string[] = [];
    hooks.register('p', {
      onEvent: async ({ n }) => {
        if (n === 1) {
          await release.promise;
          // Queued by a handler on another key while drain() is waiting for key A.
          hooks.observe('onEvent', { n: 2 }, 'B');
        }
        if (n === 2) await sleep(10);
        done.push(`event ${n}`);
      },
      onOther: async (s) => {
        await sleep(5);
        done.push(`other ${s}`);
      },
    });

    hooks.observe('onEvent', { n: 1 }, 'A');
    let drained = false;
    const draining = hooks.drain().then(() => (drained = true));
    // Queued by a caller on a fresh key after drain() started.
    hooks.observe('onOther', 'late', 'C');
    release.resolve();
    await draining;

    expect(drained).toBe(true);
    expect(done.sort()).toEqual(['event 1', 'event 2', 'other late']);
    expect(hooks.queueCount).toBe(0);
  });

  it('forgets idle queues, with and without drain(), so the queue map does not grow with every key seen', { timeout: 2_000 }, async () => {
    const { hooks } = runner();
    let handled = 0;
    const allHandled = deferred();
    const keys = 1_000;
    hooks.register('p', {
      onEvent: async () => {
        await Promise.resolve();
        if (++handled === keys * 2) allHandled.resolve();
      },
    });

    for (let i = 0; i < keys; i++) {
      hooks.observe('onEvent', { n: i }, `CP${i}`);
      hooks.observe('onEvent', { n: i }, `CP${i}`);
    }
    // Two events per key share one queue entry.
    expect(hooks.queueCount).toBe(keys);

    // Without drain(): queues disappear once their work is done.
    await allHandled.promise;
    await sleep(0);
    expect(hooks.queueCount).toBe(0);

    // And again, this time through drain().
    for (let i = 0; i < keys; i++) hooks.observe('onEvent', { n: i }, `CP${i}`);
    expect(hooks.queueCount).toBe(keys);
    await hooks.drain();
    expect(hooks.queueCount).toBe(0);
    expect(handled).toBe(keys * 3);
  });
});
