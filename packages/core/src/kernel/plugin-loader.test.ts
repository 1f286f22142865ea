import { describe, expect, it } from 'vitest';
import { definePlugin, type PluginDefinition } from './define-plugin.js';
import { CsmsError, CsmsErrorCode } from './errors.js';
import { HookRunner, type DecideHookSpec, type HookKinds, type ObserveHookSpec } from './hooks.js';
import type { Logger } from './logger.js';
import { loadPlugins, type BasePluginContext, type RegistrationGate } from './plugin-loader.js';

type TestHooks = {
  onBoot: DecideHookSpec<{ id: string }, string>;
  onEvent: ObserveHookSpec<number>;
};

const kinds: HookKinds<TestHooks> = { onBoot: 'decide', onEvent: 'observe' };

/** The host context of these tests: the base context plus the gate, so tests can poke at both. */
interface TestCtx extends BasePluginContext {
  readonly gate: RegistrationGate;
}

type TestPlugin = PluginDefinition<TestCtx, TestHooks>;

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

const never = (): Promise<never> => new Promise<never>(() => {});

function harness(options: { setupTimeoutMs?: number; teardownTimeoutMs?: number } = {}) {
  const log = recordingLogger();
  const hooks = new HookRunner<TestHooks>({ kinds, log });
  const contexts: TestCtx[] = [];
  const load = (plugins: TestPlugin[]) =>
    loadPlugins<TestCtx, TestHooks>({
      plugins,
      hooks,
      log,
      createContext: (base, gate) => {
        const ctx: TestCtx = { ...base, onClose: base.onClose, gate };
        contexts.push(ctx);
        return ctx;
      },
      ...options,
    });
  return { log, hooks, contexts, load };
}

/** A plugin that records its setup and its teardown in `trace`. */
function tracked(trace: string[], name: string, extra: Partial<TestPlugin> = {}): TestPlugin {
  return definePlugin<TestPlugin>({
    name,
    setup(ctx) {
      trace.push(`setup ${name}`);
      ctx.onClose(() => void trace.push(`close ${name}`));
    },
    ...extra,
  });
}

async function expectRejection(promise: Promise<unknown>, code: CsmsErrorCode): Promise<CsmsError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected a CsmsError ${code}, the promise resolved`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CsmsError);
  expect((err as CsmsError).code).toBe(code);
  return err as CsmsError;
}

describe('loadPlugins: dedupe', () => {
  it('counts the same definition registered twice once', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const a = tracked(trace, 'a');
    const loaded = await load([a, tracked(trace, 'b'), a]);
    expect(loaded.order).toEqual(['a', 'b']);
    expect(trace).toEqual(['setup a', 'setup b']);
  });

  it('rejects two different definitions with one name (PLUGIN_DUPLICATE) before any setup runs', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const err = await expectRejection(load([tracked(trace, 'a'), tracked(trace, 'a')]), CsmsErrorCode.PLUGIN_DUPLICATE);
    expect(err.message).toContain('"a"');
    expect(err.details).toEqual({ plugin: 'a' });
    expect(trace).toEqual([]);
  });
});

describe('loadPlugins: dependency order', () => {
  it('sets dependencies up first and keeps registration order otherwise', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const loaded = await load([
      tracked(trace, 'c', { dependencies: ['a'] }),
      tracked(trace, 'b'),
      tracked(trace, 'a'),
      tracked(trace, 'd'),
    ]);
    expect(loaded.order).toEqual(['a', 'c', 'b', 'd']);
    expect(trace).toEqual(['setup a', 'setup c', 'setup b', 'setup d']);
  });

  it('orders a diamond so every plugin comes after all of its dependencies', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const loaded = await load([
      tracked(trace, 'top', { dependencies: ['left', 'right'] }),
      tracked(trace, 'right', { dependencies: ['base'] }),
      tracked(trace, 'left', { dependencies: ['base'] }),
      tracked(trace, 'base'),
    ]);
    expect(loaded.order).toEqual(['base', 'left', 'right', 'top']);
  });

  it('registers decide hooks in setup order, so a dependency is asked before its dependant', async () => {
    const { load, hooks } = harness();
    await load([
      definePlugin<TestPlugin>({ name: 'policy', dependencies: ['base'], hooks: { onBoot: () => 'from policy' } }),
      definePlugin<TestPlugin>({ name: 'base', hooks: { onBoot: () => 'from base' } }),
    ]);
    expect(await hooks.decide('onBoot', { id: 'CP1' })).toBe('from base');
  });

  it('rejects a missing dependency (PLUGIN_MISSING_DEPENDENCY) naming both plugins, before any setup runs', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const err = await expectRejection(
      load([tracked(trace, 'a'), tracked(trace, 'ml', { dependencies: ['firebase'] })]),
      CsmsErrorCode.PLUGIN_MISSING_DEPENDENCY,
    );
    expect(err.message).toContain('"ml"');
    expect(err.message).toContain('"firebase"');
    expect(err.details).toEqual({ plugin: 'ml', dependency: 'firebase' });
    expect(trace).toEqual([]);
  });

  it('rejects a cycle (PLUGIN_DEPENDENCY_CYCLE) and names the cycle', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const err = await expectRejection(
      load([tracked(trace, 'a', { dependencies: ['b'] }), tracked(trace, 'b', { dependencies: ['a'] })]),
      CsmsErrorCode.PLUGIN_DEPENDENCY_CYCLE,
    );
    expect(err.message).toMatch(/: a → b → a$/);
    expect(err.details).toEqual({ cycle: ['a', 'b', 'a'] });
    expect(trace).toEqual([]);
  });

  it('names only the cycle, not the plugin through which it was reached', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const err = await expectRejection(
      load([
        tracked(trace, 'entry', { dependencies: ['a'] }),
        tracked(trace, 'a', { dependencies: ['b'] }),
        tracked(trace, 'b', { dependencies: ['a'] }),
      ]),
      CsmsErrorCode.PLUGIN_DEPENDENCY_CYCLE,
    );
    expect(err.message).toMatch(/: a → b → a$/);
    expect(err.details).toEqual({ cycle: ['a', 'b', 'a'] });
  });

  it('rejects a plugin that depends on itself', async () => {
    const { load } = harness();
    const err = await expectRejection(load([tracked([], 'self', { dependencies: ['self'] })]), CsmsErrorCode.PLUGIN_DEPENDENCY_CYCLE);
    expect(err.message).toMatch(/: self → self$/);
  });
});

describe('loadPlugins: setup failures', () => {
  it('fails with PLUGIN_SETUP_TIMEOUT when setup() does not finish in time, and tears down the plugins before it in reverse', async () => {
    const { load } = harness({ setupTimeoutMs: 20 });
    const trace: string[] = [];
    const err = await expectRejection(
      load([tracked(trace, 'a'), tracked(trace, 'b'), definePlugin<TestPlugin>({ name: 'slow', setup: never }), tracked(trace, 'after')]),
      CsmsErrorCode.PLUGIN_SETUP_TIMEOUT,
    );
    expect(err.message).toContain('"slow"');
    expect(err.message).toContain('20 ms');
    expect(err.details).toEqual({ plugin: 'slow' });
    expect(trace).toEqual(['setup a', 'setup b', 'close b', 'close a']);
  });

  it('wraps a throwing setup() in PLUGIN_SETUP_FAILED with the original error as cause', async () => {
    const { load } = harness();
    const boom = new Error('no API key');
    const err = await expectRejection(
      load([
        definePlugin<TestPlugin>({
          name: 'firebase',
          setup() {
            throw boom;
          },
        }),
      ]),
      CsmsErrorCode.PLUGIN_SETUP_FAILED,
    );
    expect(err.cause).toBe(boom);
    expect(err.message).toContain('"firebase"');
    expect(err.message).toContain('no API key');
    expect(err.details).toEqual({ plugin: 'firebase' });
  });

  it('wraps a rejected async setup() and a non-Error throw too', async () => {
    const { load } = harness();
    const boom = new Error('async failure');
    const err = await expectRejection(
      load([definePlugin<TestPlugin>({ name: 'async', setup: async () => Promise.reject(boom) })]),
      CsmsErrorCode.PLUGIN_SETUP_FAILED,
    );
    expect(err.cause).toBe(boom);

    const { load: load2 } = harness();
    const err2 = await expectRejection(
      load2([
        definePlugin<TestPlugin>({
          name: 'strange',
          setup() {
            throw 'a string'; // eslint-disable-line no-throw-literal -- plugins do this
          },
        }),
      ]),
      CsmsErrorCode.PLUGIN_SETUP_FAILED,
    );
    expect(err2.cause).toBe('a string');
    expect(err2.message).toContain('a string');
  });

  it('rethrows a CsmsError from setup() unchanged (e.g. a service collision)', async () => {
    const { load } = harness();
    const collision = new CsmsError(CsmsErrorCode.SERVICE_COLLISION, 'service "tariffs" is already provided');
    const err = await expectRejection(
      load([
        definePlugin<TestPlugin>({
          name: 'p',
          setup() {
            throw collision;
          },
        }),
      ]),
      CsmsErrorCode.SERVICE_COLLISION,
    );
    expect(err).toBe(collision);
  });

  it('tears down, in reverse, the plugins set up before a failure, including the failing plugin’s own teardowns', async () => {
    const { load, hooks } = harness();
    const trace: string[] = [];
    await expectRejection(
      load([
        definePlugin<TestPlugin>({
          name: 'a',
          setup(ctx) {
            trace.push('setup a');
            ctx.onClose(() => void trace.push('close a1'));
            ctx.onClose(() => void trace.push('close a2'));
          },
        }),
        tracked(trace, 'b'),
        definePlugin<TestPlugin>({
          name: 'broken',
          setup(ctx) {
            ctx.onClose(() => void trace.push('close broken'));
            throw new Error('half way');
          },
        }),
        tracked(trace, 'never'),
      ]),
      CsmsErrorCode.PLUGIN_SETUP_FAILED,
    );
    expect(trace).toEqual(['setup a', 'setup b', 'close broken', 'close b', 'close a2', 'close a1']);
    // Registration is closed after a failed boot too.
    expect(() => hooks.register('late', { onEvent: () => {} })).toThrow(CsmsError);
  });

  it('fails with PLUGIN_INVALID when a plugin declares an unknown hook, tearing down the plugins before it', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const err = await expectRejection(
      load([tracked(trace, 'a'), definePlugin({ name: 'typo', hooks: { onBot: () => 'Accepted' } } as unknown as TestPlugin)]),
      CsmsErrorCode.PLUGIN_INVALID,
    );
    expect(err.message).toContain('"onBot"');
    expect(trace).toEqual(['setup a', 'close a']);
  });

  it('still fails the boot when a teardown run during the failure throws, logging the teardown error', async () => {
    const { load, log } = harness();
    const teardownError = new Error('teardown failed');
    const err = await expectRejection(
      load([
        definePlugin<TestPlugin>({
          name: 'a',
          setup(ctx) {
            ctx.onClose(() => {
              throw teardownError;
            });
          },
        }),
        definePlugin<TestPlugin>({
          name: 'b',
          setup() {
            throw new Error('setup failed');
          },
        }),
      ]),
      CsmsErrorCode.PLUGIN_SETUP_FAILED,
    );
    expect(err.details).toEqual({ plugin: 'b' });
    expect(log.entries.filter((e) => e.level === 'error').map((e) => e.obj)).toEqual([{ plugin: 'a', err: teardownError }]);
  });
});

describe('loadPlugins: close()', () => {
  it('runs teardowns in reverse order, once, however often close() is called', async () => {
    const { load } = harness();
    const trace: string[] = [];
    const loaded = await load([tracked(trace, 'a'), tracked(trace, 'b', { dependencies: ['a'] }), tracked(trace, 'c')]);
    expect(trace).toEqual(['setup a', 'setup b', 'setup c']);
    await loaded.close();
    await loaded.close();
    expect(trace).toEqual(['setup a', 'setup b', 'setup c', 'close c', 'close b', 'close a']);
  });

  it('lets a second, concurrent close() resolve only after the teardowns have finished', async () => {
    const { load } = harness();
    const release = deferred();
    let tornDown = 0;
    const loaded = await load([
      definePlugin<TestPlugin>({
        name: 'slow-close',
        setup(ctx) {
          ctx.onClose(async () => {
            await release.promise;
            tornDown++;
          });
        },
      }),
    ]);
    const first = loaded.close();
    let secondDone = false;
    const second = loaded.close().then(() => (secondDone = true));
    await new Promise((r) => setImmediate(r));
    expect(secondDone).toBe(false);
    release.resolve();
    await Promise.all([first, second]);
    expect(secondDone).toBe(true);
    expect(tornDown).toBe(1);
  });

  it('logs a throwing teardown with the plugin name, runs the others, and does not throw', async () => {
    const { load, log } = harness();
    const trace: string[] = [];
    const boom = new Error('socket already closed');
    const loaded = await load([
      tracked(trace, 'a'),
      definePlugin<TestPlugin>({
        name: 'bad',
        setup(ctx) {
          ctx.onClose(async () => Promise.reject(boom));
        },
      }),
      tracked(trace, 'c'),
    ]);
    await expect(loaded.close()).resolves.toBeUndefined();
    expect(trace).toEqual(['setup a', 'setup c', 'close c', 'close a']);
    expect(log.entries.filter((e) => e.level === 'error').map((e) => e.obj)).toEqual([{ plugin: 'bad', err: boom }]);
  });

  it('logs a hung teardown (teardownTimeoutMs) and moves on to the next', async () => {
    const { load, log } = harness({ teardownTimeoutMs: 20 });
    const trace: string[] = [];
    const loaded = await load([
      tracked(trace, 'a'),
      definePlugin<TestPlugin>({
        name: 'hangs',
        setup(ctx) {
          ctx.onClose(never);
        },
      }),
    ]);
    await loaded.close();
    expect(trace).toEqual(['setup a', 'close a']);
    expect(log.entries.filter((e) => e.level === 'warn').map((e) => e.obj)).toEqual([{ plugin: 'hangs', timeoutMs: 20 }]);
  });
});

describe('loadPlugins: contexts and the registration gate', () => {
  it('gives each plugin a context with its name and a child logger bound to it', async () => {
    const { load, log, contexts } = harness();
    await load([
      definePlugin<TestPlugin>({
        name: 'dashboard',
        setup(ctx) {
          expect(ctx.pluginName).toBe('dashboard');
          ctx.log.info({ port: 1 }, 'hello');
        },
      }),
    ]);
    expect(contexts).toHaveLength(1);
    expect(log.entries).toContainEqual({ level: 'info', obj: { plugin: 'dashboard', port: 1 }, msg: 'hello' });
  });

  it('keeps the gate open during setup and closes it after boot: onClose and assertOpen then throw REGISTRATION_CLOSED', async () => {
    const { load, contexts, hooks } = harness();
    let openDuringSetup: boolean | undefined;
    await load([
      definePlugin<TestPlugin>({
        name: 'p',
        setup(ctx) {
          openDuringSetup = ctx.gate.isOpen;
          ctx.gate.assertOpen('p', 'a route'); // must not throw during setup
        },
      }),
    ]);
    expect(openDuringSetup).toBe(true);
    const ctx = contexts[0]!;
    expect(ctx.gate.isOpen).toBe(false);

    let err: unknown;
    try {
      ctx.onClose(() => {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsmsError);
    expect((err as CsmsError).code).toBe(CsmsErrorCode.REGISTRATION_CLOSED);
    expect((err as CsmsError).message).toContain('"p"');

    err = undefined;
    try {
      ctx.gate.assertOpen('p', 'a route');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsmsError);
    expect((err as CsmsError).code).toBe(CsmsErrorCode.REGISTRATION_CLOSED);
    expect((err as CsmsError).message).toContain('a route');

    // Hooks are frozen too.
    expect(() => hooks.register('late', { onEvent: () => {} })).toThrow(/after boot/);
  });

  it('a late async registration from a plugin that kept working after setup() is refused', async () => {
    const { load } = harness();
    const lateAttempt = deferred<unknown>();
    await load([
      definePlugin<TestPlugin>({
        name: 'sneaky',
        setup(ctx) {
          setImmediate(() => {
            try {
              ctx.onClose(() => {});
              lateAttempt.resolve(undefined);
            } catch (e) {
              lateAttempt.resolve(e);
            }
          });
        },
      }),
    ]);
    const err = await lateAttempt.promise;
    expect(err).toBeInstanceOf(CsmsError);
    expect((err as CsmsError).code).toBe(CsmsErrorCode.REGISTRATION_CLOSED);
  });

  it('loads plugins without setup (hooks only) and with no plugins at all', async () => {
    const { load, hooks } = harness();
    const seen: number[] = [];
    const loaded = await load([definePlugin<TestPlugin>({ name: 'hooks-only', hooks: { onEvent: (n) => void seen.push(n) } })]);
    expect(loaded.order).toEqual(['hooks-only']);
    hooks.observe('onEvent', 7, 'CP1');
    await hooks.drain();
    expect(seen).toEqual([7]);
    await loaded.close();

    const empty = await harness().load([]);
    expect(empty.order).toEqual([]);
    await empty.close();
  });
});
