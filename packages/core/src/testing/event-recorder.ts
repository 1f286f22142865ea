import type { CsmsHooks } from '../hooks.js';
import type { ObserveHookName } from '../kernel/hooks.js';
import { definePlugin, type CsmsPlugin } from '../plugin.js';

export interface RecordedEvent<K extends ObserveHookName<CsmsHooks> = ObserveHookName<CsmsHooks>> {
  hook: K;
  arg: CsmsHooks[K]['arg'];
}

const OBSERVE_HOOKS = [
  'onBootNotification',
  'onChargePointConnected',
  'onChargePointDisconnected',
  'onStatusNotification',
  'onTransactionStarted',
  'onMeterValues',
  'onTransactionStopped',
  'onSettingsChanged',
  'onIdTagsChanged',
] as const satisfies readonly ObserveHookName<CsmsHooks>[];

/**
 * Records every observe hook in the order plugins see it. Install `recorder.plugin` in the CSMS,
 * then assert on `events` or wait with `waitFor`.
 */
export class EventRecorder {
  readonly events: RecordedEvent[] = [];
  readonly plugin: CsmsPlugin;
  #waiters: Array<{ match: (e: RecordedEvent) => boolean; resolve: (e: RecordedEvent) => void }> = [];

  constructor(name = 'event-recorder') {
    const hooks = Object.fromEntries(OBSERVE_HOOKS.map((hook) => [hook, (arg: unknown) => this.#record({ hook, arg } as RecordedEvent)]));
    this.plugin = definePlugin({ name, hooks });
  }

  of<K extends ObserveHookName<CsmsHooks>>(hook: K): Array<CsmsHooks[K]['arg']> {
    return this.events.filter((e) => e.hook === hook).map((e) => e.arg as CsmsHooks[K]['arg']);
  }

  /** Resolves with the first (past or future) event of `hook` matching `predicate`; rejects after `timeoutMs`. */
  waitFor<K extends ObserveHookName<CsmsHooks>>(hook: K, predicate: (arg: CsmsHooks[K]['arg']) => boolean = () => true, timeoutMs = 5_000): Promise<CsmsHooks[K]['arg']> {
    const match = (e: RecordedEvent) => e.hook === hook && predicate(e.arg as CsmsHooks[K]['arg']);
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen.arg as CsmsHooks[K]['arg']);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${hook} event matched within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (e: RecordedEvent) => {
          clearTimeout(timer);
          resolve(e.arg as CsmsHooks[K]['arg']);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  clear(): void {
    this.events.length = 0;
  }

  #record(event: RecordedEvent): void {
    this.events.push(event);
    for (const waiter of this.#waiters.filter((w) => w.match(event))) {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      waiter.resolve(event);
    }
  }
}
