import { defineEntity, p } from '@mikro-orm/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CORE_VERSION } from '../src/version.js';
import { createCsms } from '../src/create-csms.js';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { definePlugin, type CsmsPluginContext } from '../src/plugin.js';
import { createTestCsms, FakeChargePoint, type TestCsms } from '../src/testing/index.js';

declare module '../src/services.js' {
  interface CsmsServices {
    /** Provided by the test plugin "pricing" below. */
    pricing: { pricePerKwh: number };
    late: number;
  }
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function start(options: Parameters<typeof createTestCsms>[0]): Promise<TestCsms> {
  const server = await createTestCsms({ chargePoints: ['CP-1'], ...options });
  open.push(server);
  return server;
}

async function connect(server: TestCsms, id = 'CP-1'): Promise<FakeChargePoint> {
  const cp = new FakeChargePoint({ url: server.ocppUrlFor(id), identity: id });
  await cp.connect();
  open.push(cp);
  return cp;
}

describe('plugins in the CSMS', () => {
  it('onAuthorize decides before the IdTag table; a throwing plugin is "no decision"', async () => {
    const broken = definePlugin({ name: 'broken', hooks: { onAuthorize: () => { throw new Error('boom'); } } });
    const vip = definePlugin({
      name: 'vip',
      hooks: { onAuthorize: ({ idTag }) => (idTag.startsWith('VIP') ? { status: 'Accepted' as const, parentIdTag: 'VIP-GROUP' } : undefined) },
    });
    const server = await start({ plugins: [broken, vip], idTags: { 'TAG-1': 'Blocked' } });
    const cp = await connect(server);
    await cp.boot();
    expect(await cp.authorize('VIP-7')).toEqual({ idTagInfo: { status: 'Accepted', parentIdTag: 'VIP-GROUP' } });
    expect(await cp.authorize('TAG-1')).toEqual({ idTagInfo: { status: 'Blocked' } });
    expect(await cp.authorize('NOBODY')).toEqual({ idTagInfo: { status: 'Invalid' } });
  });

  it('a failing observe hook never reaches the charger', async () => {
    const failing = definePlugin({ name: 'failing', hooks: { onStatusNotification: () => Promise.reject(new Error('down')) } });
    const server = await start({ plugins: [failing] });
    const cp = await connect(server);
    await cp.boot();
    expect(await cp.status(1, 'Available')).toEqual({});
    await server.csms.drain();
    expect(await cp.heartbeat()).toHaveProperty('currentTime');
  });

  it('services provided by one plugin are available to plugins that depend on it', async () => {
    let seen: { pricePerKwh: number } | undefined;
    const provider = definePlugin({ name: 'pricing', setup: (ctx: CsmsPluginContext) => ctx.provide('pricing', { pricePerKwh: 2466 }) });
    const consumer = definePlugin({
      name: 'billing',
      dependencies: ['pricing'],
      setup: (ctx: CsmsPluginContext) => {
        seen = ctx.services.get('pricing');
        expect(ctx.services.get('config').port).toBe(0);
      },
    });
    // Registered in the "wrong" order on purpose: dependencies decide the setup order.
    const server = await start({ plugins: [consumer, provider] });
    expect(seen).toEqual({ pricePerKwh: 2466 });
    expect(server.csms.services.has('pricing')).toBe(true);
    // @ts-expect-error -- nobody declared (or provides) "nope"
    expect(() => server.csms.services.get('nope')).toThrow(expect.objectContaining({ code: CsmsErrorCode.SERVICE_MISSING }));
  });

  it('refuses a service name that is taken', async () => {
    // @ts-expect-error -- "orm" is no public service; a plugin cannot provide it either
    const plugin = definePlugin({ name: 'greedy', setup: (ctx: CsmsPluginContext) => ctx.provide('orm', {}) });
    await expect(start({ plugins: [plugin] })).rejects.toMatchObject({ code: CsmsErrorCode.SERVICE_COLLISION });
  });

  it('claims on core actions need replaceDefault; a second claim on an action fails the boot', async () => {
    const sneaky = definePlugin({ name: 'sneaky', setup: (ctx: CsmsPluginContext) => ctx.handle('Heartbeat', () => ({ currentTime: '2000-01-01T00:00:00.000Z' })) });
    await expect(start({ plugins: [sneaky] })).rejects.toMatchObject({ code: CsmsErrorCode.ACTION_CLAIMED });

    const replacing = definePlugin({
      name: 'replacing',
      setup: (ctx: CsmsPluginContext) => ctx.handle('Heartbeat', () => ({ currentTime: '2000-01-01T00:00:00.000Z' }), { replaceDefault: true }),
    });
    const server = await start({ plugins: [replacing] });
    const cp = await connect(server);
    expect(await cp.heartbeat()).toEqual({ currentTime: '2000-01-01T00:00:00.000Z' });
  });

  it('serves plugin routes on the same server as OCPP, and GET /health', async () => {
    const plugin = definePlugin({
      name: 'hello',
      setup: (ctx: CsmsPluginContext) => ctx.routes(async (app) => void app.get('/hello', async () => ({ hello: 'SPKLU' })), { prefix: '/api/hello' }),
    });
    const server = await start({ plugins: [plugin] });
    expect(await (await fetch(`${server.url}/api/hello/hello`)).json()).toEqual({ hello: 'SPKLU' });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', version: CORE_VERSION, database: 'ok', connectedChargePoints: 0 });
    await connect(server);
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ connectedChargePoints: 1 });
  });

  it('closes registration after boot and tears plugins down in reverse order', async () => {
    const order: string[] = [];
    let kept: CsmsPluginContext | undefined;
    const a = definePlugin({ name: 'a', setup: (ctx: CsmsPluginContext) => { kept = ctx; ctx.onClose(() => void order.push('a')); } });
    const b = definePlugin({ name: 'b', dependencies: ['a'], setup: (ctx: CsmsPluginContext) => ctx.onClose(() => void order.push('b')) });
    const server = await createTestCsms({ plugins: [a, b] });
    expect(() => kept!.provide('late', 1)).toThrow(expect.objectContaining({ code: CsmsErrorCode.REGISTRATION_CLOSED }));
    expect(() => kept!.handle('Heartbeat', () => ({ currentTime: '2000-01-01T00:00:00.000Z' }), { replaceDefault: true })).toThrow(expect.objectContaining({ code: CsmsErrorCode.REGISTRATION_CLOSED }));
    await server.close();
    expect(order).toEqual(['b', 'a']);
  });

  it('creates the tables of plugin entities', async () => {
    const NoteSchema = defineEntity({ name: 'PluginNote', tableName: 'plugin_note', properties: { id: p.integer().primary().autoincrement(), text: p.string() } });
    const plugin = definePlugin({ name: 'notes', entities: [NoteSchema] });
    const server = await start({ plugins: [plugin] });
    const em = server.csms.orm.em.fork();
    em.create(NoteSchema, { text: 'hello' });
    await em.flush();
    expect(await server.csms.orm.em.fork().count(NoteSchema, {})).toBe(1);
  });

  it('fails at start on bad configuration, naming the option, before opening anything', async () => {
    await expect(createCsms({ env: { CHARGE_IT_PORT: 'abc' } })).rejects.toMatchObject({
      code: CsmsErrorCode.CONFIG_INVALID,
      message: expect.stringContaining('CHARGE_IT_PORT'),
    });
  });
});
