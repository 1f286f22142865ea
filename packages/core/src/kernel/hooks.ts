import { CsmsError, CsmsErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import { TIMED_OUT, withTimeout } from './with-timeout.js';

/**
 * Typed lifecycle hooks.
 *
 * A host (the CSMS, the edge runtime) declares its hooks as a map of specs. Two kinds exist:
 * - decide: plugins are asked in registration order; the first one that returns a defined answer
 *   wins. A throw or a timeout counts as "no decision" and is logged with plugin and hook. When no
 *   plugin decides, the host applies its default.
 * - observe: every plugin is told, after the fact (after the DB commit and after the reply was
 *   sent). Calls go through one serial queue per key (per charge point), so that e.g. started →
 *   meter values → stopped reach a plugin in order. A failing plugin is logged and never affects
 *   the caller or other plugins.
 */
export interface DecideHookSpec<A, R> {
  kind: 'decide';
  arg: A;
  result: R;
}

export interface ObserveHookSpec<A> {
  kind: 'observe';
  arg: A;
}

// biome-ignore lint: the spec map must accept any argument types
export type HookSpecs = Record<string, DecideHookSpec<any, any> | ObserveHookSpec<any>>;

export type HookKinds<H extends HookSpecs> = { readonly [K in keyof H]: H[K]['kind'] };

export type DecideHandler<A, R> = (arg: A) => R | undefined | Promise<R | undefined>;
export type ObserveHandler<A> = (arg: A) => void | Promise<void>;

export type HookHandler<S> =
  S extends DecideHookSpec<infer A, infer R>
    ? DecideHandler<A, R>
    : S extends ObserveHookSpec<infer A>
      ? ObserveHandler<A>
      : never;

export type HookHandlers<H extends HookSpecs> = { [K in keyof H]?: HookHandler<H[K]> };

export type DecideHookName<H extends HookSpecs> = {
  [K in keyof H]: H[K] extends DecideHookSpec<unknown, unknown> ? K : never;
}[keyof H] &
  string;

export type ObserveHookName<H extends HookSpecs> = {
  [K in keyof H]: H[K] extends ObserveHookSpec<unknown> ? K : never;
}[keyof H] &
  string;

export interface HookRunnerOptions<H extends HookSpecs> {
  kinds: HookKinds<H>;
  log: Logger;
  /** Per decide handler; keep it far below the charger's call timeout. Default 2 s. */
  decideTimeoutMs?: number;
  /** Per observe handler; a hung plugin must not stall its queue forever. Default 30 s. */
  observeTimeoutMs?: number;
  /**
   * Deep-freezes every hook argument before a plugin sees it (plain objects and arrays, Dates
   * included), so a plugin cannot change what the next plugin or the host sees. Default false.
   */
  freezeArgs?: boolean;
}

interface Registration {
  plugin: string;
  handler: (arg: unknown) => unknown;
}


export class HookRunner<H extends HookSpecs> {
  readonly #kinds: HookKinds<H>;
  readonly #log: Logger;
  readonly #decideTimeoutMs: number;
  readonly #observeTimeoutMs: number;
  readonly #freezeArgs: boolean;
  readonly #handlers = new Map<string, Registration[]>();
  readonly #taps = new Map<string, ((arg: unknown) => void)[]>();
  readonly #queues = new Map<string, Promise<void>>();
  readonly #failures = new Map<string, number>();
  #pending = 0;
  #frozen = false;

  constructor(options: HookRunnerOptions<H>) {
    this.#kinds = options.kinds;
    this.#log = options.log;
    this.#decideTimeoutMs = options.decideTimeoutMs ?? 2_000;
    this.#observeTimeoutMs = options.observeTimeoutMs ?? 30_000;
    this.#freezeArgs = options.freezeArgs ?? false;
  }

  /** Registers a plugin's handlers. Throws after `freeze()` or for a hook the host does not know. */
  register(plugin: string, handlers: HookHandlers<H>): void {
    if (this.#frozen) {
      throw new CsmsError(
        CsmsErrorCode.REGISTRATION_CLOSED,
        `plugin "${plugin}" tried to register hooks after boot; register them in the plugin definition or in setup()`,
      );
    }
    for (const [name, handler] of Object.entries(handlers)) {
      if (handler === undefined) continue;
      // Own keys only: `in` would also accept Object.prototype names such as "toString".
      if (!Object.hasOwn(this.#kinds, name)) {
        throw new CsmsError(
          CsmsErrorCode.PLUGIN_INVALID,
          `plugin "${plugin}" registers unknown hook "${name}"; known hooks: ${Object.keys(this.#kinds).join(', ')}`,
          { details: { plugin, hook: name } },
        );
      }
      if (typeof handler !== 'function') {
        throw new CsmsError(CsmsErrorCode.PLUGIN_INVALID, `plugin "${plugin}": hook "${name}" must be a function`, {
          details: { plugin, hook: name },
        });
      }
      const list = this.#handlers.get(name) ?? [];
      list.push({ plugin, handler: handler as (arg: unknown) => unknown });
      this.#handlers.set(name, list);
    }
  }

  freeze(): void {
    this.#frozen = true;
  }

  /** Number of observe queues with work pending (idle queues are forgotten); for tests and metrics. */
  get queueCount(): number {
    return this.#queues.size;
  }

  /** Observe-hook calls queued or running (one per plugin handler); for metrics. */
  get pendingCount(): number {
    return this.#pending;
  }

  /** Hook calls that threw or timed out so far, by hook name; for metrics. */
  get failureCounts(): ReadonlyMap<string, number> {
    return this.#failures;
  }

  #failed(name: string): void {
    this.#failures.set(name, (this.#failures.get(name) ?? 0) + 1);
  }

  /** True when at least one plugin handles the hook (lets hosts skip building arguments). */
  has(name: keyof H & string): boolean {
    return (this.#handlers.get(name)?.length ?? 0) > 0;
  }

  /** Asks the plugins in order; the first defined answer wins; `undefined` means "no decision". */
  async decide<K extends DecideHookName<H>>(
    name: K,
    arg: H[K]['arg'],
  ): Promise<(H[K] extends DecideHookSpec<unknown, infer R> ? R : never) | undefined> {
    const handlers = this.#handlers.get(name) ?? [];
    if (handlers.length > 0 && this.#freezeArgs) deepFreeze(arg);
    for (const { plugin, handler } of handlers) {
      try {
        const answer = await withTimeout(() => handler(arg), this.#decideTimeoutMs);
        if (answer === TIMED_OUT) {
          this.#log.warn({ plugin, hook: name, timeoutMs: this.#decideTimeoutMs }, 'decide hook timed out; no decision');
          this.#failed(name);
          continue;
        }
        if (answer !== undefined) return answer as never;
      } catch (err) {
        this.#log.error({ plugin, hook: name, err }, 'decide hook threw; no decision');
        this.#failed(name);
      }
    }
    return undefined;
  }

  /**
   * A host-internal, synchronous listener of an observe hook (not for plugins): called inside
   * `observe()` itself — after the caller's commit, before its reply, ahead of every plugin queue —
   * so in-memory state such as the core's live state never waits behind a slow plugin. Only for
   * cheap in-memory work; a throw is logged and ignored. A tap must not change its argument (it is
   * frozen only when a plugin handles the hook too). Allowed after `freeze()`. Returns a remover.
   */
  tap<K extends ObserveHookName<H>>(name: K, listener: (arg: H[K]['arg']) => void): () => void {
    const list = this.#taps.get(name) ?? [];
    const entry = listener as (arg: unknown) => void;
    list.push(entry);
    this.#taps.set(name, list);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /**
   * Queues an observe hook call on the serial queue of `queueKey` and returns at once. Use
   * `drain()` to wait for the queues.
   */
  observe<K extends ObserveHookName<H>>(name: K, arg: H[K]['arg'], queueKey = ''): void {
    const registrations = this.#handlers.get(name);
    // Frozen for the plugins only: the taps are the host's own code, and freezing costs a walk of
    // the argument on every call (a MeterValues flood is one observe per message).
    if (registrations?.length && this.#freezeArgs) deepFreeze(arg);
    const taps = this.#taps.get(name);
    if (taps?.length) {
      for (const tap of taps) {
        try {
          tap(arg);
        } catch (err) {
          this.#log.error({ hook: name, err }, 'observe tap threw');
        }
      }
    }
    if (!registrations?.length) return;
    const previous = this.#queues.get(queueKey) ?? Promise.resolve();
    this.#pending += registrations.length;
    // Start after the current I/O turn: the caller's reply (e.g. the OCPP CALLRESULT, written in
    // the same chain of microtasks) is on the wire before any plugin reacts, so a plugin that
    // calls the charge point back never overtakes the answer to the charge point's own call.
    const next = previous.then(nextTurn).then(async () => {
      for (const { plugin, handler } of registrations) {
        try {
          const outcome = await withTimeout(() => handler(arg), this.#observeTimeoutMs);
          if (outcome === TIMED_OUT) {
            this.#failed(name);
            this.#log.warn({ plugin, hook: name, timeoutMs: this.#observeTimeoutMs }, 'observe hook timed out');
          }
        } catch (err) {
          this.#failed(name);
          this.#log.error({ plugin, hook: name, err }, 'observe hook threw');
        } finally {
          this.#pending--;
        }
      }
    });
    // A logger that throws must not poison the queue: later events on this key still run.
    const guarded = next.catch(() => {});
    this.#queues.set(queueKey, guarded);
    // Forget a queue once it is idle, so that the map does not grow with every charge point ever seen.
    void guarded.then(() => {
      if (this.#queues.get(queueKey) === guarded) this.#queues.delete(queueKey);
    });
  }

  /** Resolves when every observe queue is empty (including calls queued while draining). */
  async drain(): Promise<void> {
    while (this.#queues.size > 0) {
      await Promise.all(this.#queues.values());
    }
  }
}

/** Freezes plain objects, arrays and Dates, recursively; leaves class instances (other than Date) alone. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value) || proto === Object.prototype || proto === null) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  } else if (value instanceof Date) {
    Object.freeze(value);
  }
  return value;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

