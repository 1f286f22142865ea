import { describe, expect, it } from 'vitest';
import { MirrorWriter, type PathValues } from './mirror-writer.js';

/** A sink whose writes the test acknowledges or fails by hand (the writer's own logic only). */
function manualSink() {
  const calls: { paths: PathValues; ack(): void; fail(err: Error): void }[] = [];
  return {
    calls,
    sink: {
      update(paths: PathValues) {
        return new Promise<void>((resolve, reject) => calls.push({ paths, ack: resolve, fail: reject }));
      },
    },
  };
}

const until = async (ok: () => boolean, what: string) => {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out: ${what}`);
};

describe('MirrorWriter', () => {
  it('sends one write per key at a time and only the latest state after the acknowledgement', async () => {
    const { calls, sink } = manualSink();
    const w = new MirrorWriter({ sink, throttleMs: 0 });
    w.put('a', { 'x/a': 1 }, { urgent: true });
    await until(() => calls.length === 1, 'first write');
    for (let i = 2; i <= 50; i++) w.put('a', { 'x/a': i });
    expect(w.stats()).toMatchObject({ pendingKeys: 1, inFlightKeys: 1, statesCoalesced: 48 });
    expect(calls).toHaveLength(1); // nothing else goes out while the first is unacknowledged
    calls[0]!.ack();
    await until(() => calls.length === 2, 'second write');
    expect(calls[1]!.paths).toEqual({ 'x/a': 50 });
    calls[1]!.ack();
    expect(await w.idle(5_000)).toBe(true);
  });

  it('puts several keys due together into one multi-path update', async () => {
    const { calls, sink } = manualSink();
    const w = new MirrorWriter({ sink, throttleMs: 0 });
    w.put('a', { 'x/a': 1 });
    w.put('b', { 'x/b': 2, 'x/b2': 3 });
    await until(() => calls.length === 1, 'batch');
    expect(calls[0]!.paths).toEqual({ 'x/a': 1, 'x/b': 2, 'x/b2': 3 });
    calls[0]!.ack();
  });

  it('keeps a failed state (unless a newer one came) and retries it', async () => {
    const { calls, sink } = manualSink();
    const errors: unknown[] = [];
    const w = new MirrorWriter({ sink, throttleMs: 0, retryMs: 20, onError: (e) => errors.push(e) });
    w.put('a', { 'x/a': 1 });
    await until(() => calls.length === 1, 'first');
    calls[0]!.fail(new Error('permission_denied'));
    await until(() => calls.length === 2, 'retry');
    expect(calls[1]!.paths).toEqual({ 'x/a': 1 });
    expect(errors).toHaveLength(1);
    expect(w.stats().lastError).toBe('permission_denied');
    w.put('a', { 'x/a': 2 });
    calls[1]!.fail(new Error('again'));
    await until(() => calls.length === 3, 'second retry');
    expect(calls[2]!.paths).toEqual({ 'x/a': 2 }); // the newer state, not the failed one
    calls[2]!.ack();
    expect(await w.idle(5_000)).toBe(true);
  });

  it('holds progress for the throttle window but lets an urgent state through', async () => {
    const { calls, sink } = manualSink();
    const w = new MirrorWriter({ sink, throttleMs: 600_000 });
    w.put('a', { 'x/a': 1 }, { urgent: true });
    await until(() => calls.length === 1, 'first');
    calls[0]!.ack();
    await until(() => w.stats().inFlightKeys === 0, 'ack');
    w.put('a', { 'x/a': 2 });
    w.put('a', { 'x/a': 3 });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(1);
    expect(w.busy('a')).toBe(true);
    w.put('a', { 'x/a': 4 }, { urgent: true });
    await until(() => calls.length === 2, 'urgent');
    expect(calls[1]!.paths).toEqual({ 'x/a': 4 });
    w.close();
  });
});
