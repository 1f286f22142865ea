import { describe, expect, it } from 'vitest';
import { HookRunner, type HookKinds, type ObserveHookSpec } from './hooks.js';
import { silentLogger, type Logger } from './logger.js';

type TapHooks = { onEvent: ObserveHookSpec<{ n: number }> };
const kinds: HookKinds<TapHooks> = { onEvent: 'observe' };

describe('HookRunner.tap (host-internal synchronous listeners)', () => {
  it('runs inside observe(), before any plugin handler, with or without plugins, also after freeze', async () => {
    const runner = new HookRunner<TapHooks>({ kinds, log: silentLogger, freezeArgs: true });
    const order: string[] = [];
    runner.tap('onEvent', ({ n }) => void order.push(`tap ${n}`));
    runner.observe('onEvent', { n: 1 });
    expect(order).toEqual(['tap 1']);
    runner.register('p', { onEvent: ({ n }) => void order.push(`plugin ${n}`) });
    runner.freeze();
    const remove = runner.tap('onEvent', ({ n }) => void order.push(`late tap ${n}`));
    runner.observe('onEvent', { n: 2 });
    expect(order).toEqual(['tap 1', 'tap 2', 'late tap 2']);
    await runner.drain();
    expect(order).toEqual(['tap 1', 'tap 2', 'late tap 2', 'plugin 2']);
    remove();
    runner.observe('onEvent', { n: 3 });
    await runner.drain();
    expect(order.slice(4)).toEqual(['tap 3', 'plugin 3']);
  });

  it('freezes the argument for plugins only: a tap alone gets it as it is', async () => {
    const runner = new HookRunner<TapHooks>({ kinds, log: silentLogger, freezeArgs: true });
    const tapped: boolean[] = [];
    runner.tap('onEvent', (arg) => void tapped.push(Object.isFrozen(arg)));
    const alone = { n: 1 };
    runner.observe('onEvent', alone);
    expect(Object.isFrozen(alone)).toBe(false);
    runner.register('p', { onEvent: () => {} });
    const shared = { n: 2 };
    runner.observe('onEvent', shared);
    await runner.drain();
    // With a plugin on the hook, the taps see the frozen object too (one object, frozen once).
    expect(tapped).toEqual([false, true]);
    expect(Object.isFrozen(shared)).toBe(true);
  });

  it('a throwing tap is logged and neither the caller nor the plugins notice', async () => {
    const errors: unknown[] = [];
    const log: Logger = { ...silentLogger, error: (obj: unknown) => void errors.push(obj), child: () => log };
    const runner = new HookRunner<TapHooks>({ kinds, log });
    const seen: number[] = [];
    runner.tap('onEvent', () => {
      throw new Error('boom');
    });
    runner.register('p', { onEvent: ({ n }) => void seen.push(n) });
    expect(() => runner.observe('onEvent', { n: 1 })).not.toThrow();
    await runner.drain();
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
  });
});
