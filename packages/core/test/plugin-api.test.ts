import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createRPCError } from 'ocpp-rpc';
import { CsmsErrorCode, isCsmsError } from '../src/kernel/errors.js';
import {
  definePlugin,
  type CsmsHooks,
  type CsmsPluginContext,
  type DataTransferRequest,
  type DataTransferResponse,
  type IncomingCall,
  type TransactionInfo,
} from '../src/index.js';
import { createRecordingLogger, createTestCsms, deferred, FakeChargePoint, type TestCsms } from '../src/testing/index.js';

/**
 * The typed plugin API over real parts: a CSMS on a loopback port with a SQLite file, charge points
 * on real websockets (FakeChargePoint). Type-level checks are in plugin-api.test-d.ts (vitest --typecheck).
 */
// Declared where the interface lives; a plugin package writes `declare module '@charge-it/core'` (checked against the built dist).
declare module '../src/services.js' {
  interface CsmsServices {
    /** Provided by the "counter" plugin of these tests. */
    sessionCounter: { readonly stopped: number; readonly energyWh: number };
  }
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function start(options: Parameters<typeof createTestCsms>[0]): Promise<TestCsms> {
  const server = await createTestCsms({ chargePoints: ['CP-1'], idTags: { 'TAG-1': 'Accepted' }, ...options });
  open.push(server);
  return server;
}

async function connect(server: TestCsms, id = 'CP-1'): Promise<FakeChargePoint> {
  const cp = new FakeChargePoint({ url: server.ocppUrlFor(id), identity: id });
  await cp.connect();
  open.push(cp);
  return cp;
}

describe('ctx.on: hooks subscribed in setup', () => {
  it('decide hooks are asked in plugin order, a plugin\'s definition hooks before its ctx.on ones', async () => {
    const asked: string[] = [];
    const ask = (who: string, answer?: 'Accepted') => () => {
      asked.push(who);
      return answer ? { status: answer } : undefined;
    };
    const first = definePlugin({
      name: 'first',
      hooks: { onAuthorize: ask('first:definition') },
      setup(ctx) {
        ctx.on('onAuthorize', ask('first:setup'));
      },
    });
    const second = definePlugin({
      name: 'second',
      dependencies: ['first'],
      hooks: { onAuthorize: ask('second:definition') },
      setup(ctx) {
        ctx.on('onAuthorize', ask('second:setup', 'Accepted'));
        ctx.on('onAuthorize', ask('second:setup-late', 'Accepted'));
      },
    });
    // Registered second-first: the dependency decides the plugin order, and so the hook order.
    const server = await start({ plugins: [second, first] });
    const cp = await connect(server);
    await cp.boot();
    expect(await cp.authorize('ANYONE')).toEqual({ idTagInfo: { status: 'Accepted' } });
    // The first defined answer wins: the later handler is never asked.
    expect(asked).toEqual(['first:definition', 'first:setup', 'second:definition', 'second:setup']);
  });

  it('observe hooks from setup see started → meter values → stopped in order, after the reply, with state in the closure', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const counter = definePlugin({
      name: 'counter',
      setup(ctx) {
        // The plugin's state lives here, not in a module-level `let`.
        let stopped = 0;
        let energyWh = 0;
        ctx.provide('sessionCounter', {
          get stopped() {
            return stopped;
          },
          get energyWh() {
            return energyWh;
          },
        });
        ctx.on('onTransactionStarted', async ({ transaction }) => {
          // Held until the test lets go: later events of this charge point wait behind it.
          await gate.promise;
          seen.push(`started:${transaction.id}`);
        });
        ctx.on('onMeterValues', ({ transactionId }) => void seen.push(`meter:${transactionId}`));
        ctx.on('onTransactionStopped', ({ transaction }) => {
          seen.push(`stopped:${transaction.id}`);
          stopped += 1;
          energyWh += transaction.energyWh ?? 0;
        });
      },
    });
    const server = await start({ plugins: [counter] });
    const cp = await connect(server);
    await cp.boot();
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG-1', meterStart: 1_000 });
    await cp.meterValues({ transactionId, energyWh: 1_500 });
    // The charger got its answers although the plugin still holds the start event.
    await cp.stopTransaction({ transactionId, meterStop: 3_500 });
    expect(seen).toEqual([]);
    gate.resolve();
    await server.csms.drain();
    expect(seen).toEqual([`started:${transactionId}`, `meter:${transactionId}`, `stopped:${transactionId}`]);
    const service = server.csms.services.get('sessionCounter');
    expect({ stopped: service.stopped, energyWh: service.energyWh }).toEqual({ stopped: 1, energyWh: 2_500 });
  });

  it('refuses ctx.on after boot and an unknown hook name, with coded errors', async () => {
    let kept: CsmsPluginContext | undefined;
    const server = await start({ plugins: [definePlugin({ name: 'keeper', setup: (ctx) => void (kept = ctx) })] });
    expect(server.csms.services.has('config')).toBe(true);
    expect(() => kept!.on('onTransactionStopped', () => {})).toThrow(expect.objectContaining({ code: CsmsErrorCode.REGISTRATION_CLOSED }));
    const bad = definePlugin({ name: 'bad', setup: (ctx) => ctx.on('onCoffee' as keyof CsmsHooks, () => {}) });
    await expect(start({ plugins: [bad] })).rejects.toMatchObject({ code: CsmsErrorCode.PLUGIN_INVALID, message: expect.stringContaining('onCoffee') });
  });
});

describe('hook payloads are plain, frozen data', () => {
  it('transactions arrive as frozen TransactionInfo objects (no entity), the same for every plugin', async () => {
    const started: TransactionInfo[] = [];
    const stopped: TransactionInfo[] = [];
    const errors: unknown[] = [];
    const vandal = definePlugin({
      name: 'vandal',
      setup(ctx) {
        ctx.on('onTransactionStopped', ({ transaction }) => {
          try {
            (transaction as { energyWh: number | null }).energyWh = 0;
          } catch (err) {
            errors.push(err);
          }
          try {
            (transaction.flags as string[]).push('forged');
          } catch (err) {
            errors.push(err);
          }
        });
      },
    });
    const reader = definePlugin({
      name: 'reader',
      setup(ctx) {
        ctx.on('onTransactionStarted', ({ transaction }) => void started.push(transaction));
        ctx.on('onTransactionStopped', ({ transaction }) => void stopped.push(transaction));
      },
    });
    const server = await start({ plugins: [vandal, reader] });
    const cp = await connect(server);
    await cp.boot();
    const startedAt = '2026-12-01T08:00:00.000Z';
    const { transactionId } = await cp.startTransaction({ idTag: 'TAG-1', meterStart: 10_000, timestamp: startedAt, connectorId: 2 });
    await cp.stopTransaction({ transactionId, meterStop: 14_250, timestamp: '2026-12-01T09:00:00.000Z', reason: 'EVDisconnected' });
    await server.csms.drain();

    expect(errors).toHaveLength(2);
    expect(errors.every((e) => e instanceof TypeError)).toBe(true);
    const info = stopped[0]!;
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.flags)).toBe(true);
    expect(Object.getPrototypeOf(info)).toBe(Object.prototype);
    // Exactly the documented fields, all JSON values: a round trip changes nothing.
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    expect(info).toEqual({
      id: transactionId,
      chargePointId: 'CP-1',
      connectorId: 2,
      idTag: 'TAG-1',
      status: 'Completed',
      meterStartWh: 10_000,
      meterStopWh: 14_250,
      energyWh: 4_250,
      startedAt,
      stoppedAt: '2026-12-01T09:00:00.000Z',
      stopReason: 'EVDisconnected',
      costIdr: expect.any(Number),
      flags: expect.any(Array),
    });
    expect(info.flags).not.toContain('forged');
    expect(started[0]).toMatchObject({ id: transactionId, status: 'Active', meterStopWh: null, energyWh: null, stoppedAt: null, costIdr: null });
    expect(Object.isFrozen(started[0])).toBe(true);
  });

  it('other payloads are deep-frozen: a plugin that writes to one throws, the next plugin sees the original', async () => {
    const seen: Array<{ status: string; frozen: boolean; requestFrozen: boolean }> = [];
    let threw: unknown;
    const writer = definePlugin({
      name: 'writer',
      setup(ctx) {
        ctx.on('onStatusNotification', (payload) => {
          try {
            (payload.status as { status: string }).status = 'Faulted';
          } catch (err) {
            threw = err;
          }
        });
      },
    });
    const watcher = definePlugin({
      name: 'watcher',
      setup(ctx) {
        ctx.on('onStatusNotification', (payload) => {
          seen.push({ status: payload.status.status, frozen: Object.isFrozen(payload), requestFrozen: Object.isFrozen(payload.status) });
        });
      },
    });
    const server = await start({ plugins: [writer, watcher] });
    const cp = await connect(server);
    await cp.boot();
    await cp.status(1, 'Available');
    await server.csms.drain();
    expect(threw).toBeInstanceOf(TypeError);
    expect(seen).toEqual([{ status: 'Available', frozen: true, requestFrozen: true }]);
  });
});

describe('ctx.handle and ctx.handleDataTransfer over a real websocket', () => {
  it('a DataTransfer vendor handler is typed, answers the charger, and its call carries no ocpp-rpc client', async () => {
    const calls: Array<IncomingCall<DataTransferRequest>> = [];
    const vendor = definePlugin({
      name: 'acme-vendor',
      setup(ctx) {
        ctx.handleDataTransfer('com.acme', async (call) => {
          expectTypeOf(call.params).toEqualTypeOf<DataTransferRequest>();
          calls.push(call);
          const body = JSON.parse(call.params.data ?? '{}') as { ping?: number };
          const response: DataTransferResponse = { status: 'Accepted', data: JSON.stringify({ pong: (body.ping ?? 0) + 1 }) };
          return response;
        });
      },
    });
    const server = await start({ plugins: [vendor] });
    const cp = await connect(server);
    await cp.boot();
    expect(await cp.call('DataTransfer', { vendorId: 'com.acme', messageId: 'ping', data: JSON.stringify({ ping: 41 }) })).toEqual({
      status: 'Accepted',
      data: JSON.stringify({ pong: 42 }),
    });
    expect(await cp.call('DataTransfer', { vendorId: 'com.other' })).toEqual({ status: 'UnknownVendorId' });
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.chargePointId).toBe('CP-1');
    expect(call.session).toMatchObject({ chargePointId: 'CP-1', registrationStatus: 'Accepted' });
    expect('client' in call.session).toBe(false);
    expect('connection' in call).toBe(false);
    expect(Object.isFrozen(call.session)).toBe(true);
    expect(Object.values(call).some((v) => typeof v === 'object' && v !== null && 'handle' in v)).toBe(false);
  });

  it('ctx.handle replaces a core action with a handler typed by its request and response', async () => {
    const handled: string[] = [];
    const plugin = definePlugin({
      name: 'own-authorize',
      setup(ctx) {
        ctx.handle(
          'Authorize',
          (call) => {
            expectTypeOf(call.params.idTag).toEqualTypeOf<string>();
            handled.push(call.params.idTag);
            expect('client' in call.session).toBe(false);
            return { idTagInfo: { status: call.params.idTag.startsWith('OK') ? 'Accepted' : 'Blocked' } };
          },
          { replaceDefault: true },
        );
      },
    });
    const server = await start({ plugins: [plugin] });
    const cp = await connect(server);
    await cp.boot();
    expect(await cp.authorize('OK-1')).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(await cp.authorize('TAG-1')).toEqual({ idTagInfo: { status: 'Blocked' } });
    expect(handled).toEqual(['OK-1', 'TAG-1']);
  });
});

describe('ctx.handle: a failing handler', () => {
  it('throwing at once or rejecting later is answered InternalError (an RPC error of its own keeps its code), logged, and the connection lives on', async () => {
    const logger = createRecordingLogger();
    const faulty = definePlugin({
      name: 'faulty',
      setup(ctx) {
        ctx.handle('Heartbeat', () => {
          throw new Error('bug before any await');
        }, { replaceDefault: true });
        ctx.handle('Authorize', async (call) => {
          await Promise.resolve();
          if (call.params.idTag === 'RPC') throw createRPCError('NotSupported', 'no cards here');
          throw new Error('bug after an await');
        }, { replaceDefault: true });
      },
    });
    const server = await start({ plugins: [faulty], logger });
    const cp = await connect(server);
    await cp.boot();
    await expect(cp.heartbeat()).rejects.toMatchObject({ rpcErrorCode: 'InternalError' });
    await expect(cp.authorize('BUG')).rejects.toMatchObject({ rpcErrorCode: 'InternalError' });
    await expect(cp.authorize('RPC')).rejects.toMatchObject({ rpcErrorCode: 'NotSupported', message: 'no cards here' });
    const failures = logger.filter('error').filter((e) => e.msg === 'handler failed; answering InternalError');
    expect(failures.map((e) => [e.action, (e.err as { message?: string } | undefined)?.message])).toEqual([
      ['Heartbeat', 'bug before any await'],
      ['Authorize', 'bug after an await'],
    ]);
    // Same connection, still served; and nothing stays counted in flight (close waits for that).
    expect(await cp.status(1, 'Available')).toEqual({});
    await server.close();
  });
});

describe('ctx.handle: the call a handler gets', () => {
  it("carries the charge point, the action and a signal that aborts when the connection closes", async () => {
    const entered = deferred<{ chargePointId: string; action: string; messageId: string; signal: AbortSignal }>();
    const waiting = definePlugin({
      name: 'waiting',
      setup(ctx) {
        ctx.handle('Authorize', (call) => {
          entered.resolve({ chargePointId: call.chargePointId, action: call.action, messageId: call.messageId, signal: call.signal });
          return new Promise(() => {}); // answers never
        }, { replaceDefault: true });
      },
    });
    const server = await start({ plugins: [waiting] });
    const cp = await connect(server);
    await cp.boot();
    void cp.authorize('TAG-1').catch(() => {});
    const call = await entered.promise;
    expect(call).toMatchObject({ chargePointId: 'CP-1', action: 'Authorize', messageId: expect.any(String) });
    expect(call.signal.aborted).toBe(false);
    await cp.close();
    await vi.waitFor(() => expect(call.signal.aborted).toBe(true));
  });
});

describe('services: public to plugins, internals refused', () => {
  it('ctx.services refuses the core\'s internals with SERVICE_MISSING naming them; csms.services (the application) has them', async () => {
    const outcomes: Record<string, unknown> = {};
    const probe = definePlugin({
      name: 'probe',
      setup(ctx) {
        for (const name of ['orm', 'batcher', 'sampleInbox', 'load', 'sessions', 'hooks', 'chargePointService', 'transactions', 'authorization']) {
          try {
            ctx.services.get(name as never);
            outcomes[name] = 'got it';
          } catch (err) {
            outcomes[name] = isCsmsError(err, CsmsErrorCode.SERVICE_MISSING) && err.message.includes(`"${name}"`) ? 'refused' : err;
          }
          expect(ctx.services.has(name)).toBe(false);
        }
        expect(ctx.services.has('settings')).toBe(true);
        expect(ctx.services.get('tariffs')).toBeDefined();
      },
    });
    const server = await start({ plugins: [probe] });
    expect(Object.values(outcomes)).toEqual(Array(9).fill('refused'));
    expect(server.csms.services.get('orm')).toBe(server.csms.orm);
    expect(server.csms.services.has('chargePointService')).toBe(true);
  });

  it('a missing service is a clear runtime error naming it', async () => {
    const server = await start({});
    let error: unknown;
    try {
      server.csms.services.get('sessionCounter');
    } catch (err) {
      error = err;
    }
    expect(isCsmsError(error, CsmsErrorCode.SERVICE_MISSING)).toBe(true);
    expect((error as Error).message).toContain('"sessionCounter"');
    expect((error as { details: unknown }).details).toEqual({ service: 'sessionCounter' });
  });
});

describe('@charge-it/core/testing helpers', () => {
  it('createRecordingLogger records the CSMS\'s log lines (plugin name bound) and waits for one', async () => {
    const logger = createRecordingLogger();
    const noisy = definePlugin({
      name: 'noisy',
      setup(ctx) {
        ctx.on('onBootNotification', ({ chargePointId }) => ctx.log.warn({ chargePointId }, 'booted, noted'));
      },
    });
    const server = await start({ plugins: [noisy], logger });
    const cp = await connect(server);
    await cp.boot();
    const line = await logger.waitFor((e) => e.msg === 'booted, noted');
    expect(line).toMatchObject({ level: 'warn', plugin: 'noisy', chargePointId: 'CP-1' });
    expect(logger.filter('warn').map((e) => e.msg)).toContain('booted, noted');
    expect(logger.find((e) => e.msg === 'boot notification')).toMatchObject({ level: 'info', chargePointId: 'CP-1' });
    logger.clear();
    expect(logger.entries).toEqual([]);
    await expect(logger.waitFor((e) => e.msg === 'never said', { timeoutMs: 50 })).rejects.toThrow(/no matching log line/);
  });

  it('deferred settles once, from outside', async () => {
    const d = deferred<number>();
    expect(d.settled).toBe(false);
    d.resolve(7);
    expect(d.settled).toBe(true);
    expect(await d.promise).toBe(7);
    const failed = deferred();
    failed.reject(new Error('no'));
    await expect(failed.promise).rejects.toThrow('no');
  });
});
