/**
 * The example plugin against a real CSMS (SQLite file, websockets on 127.0.0.1) and a fake charge
 * point, as docs/writing-a-plugin.md shows: what a plugin's own tests should look like.
 */
import { isCsmsError } from '@charge-it/core';
import { createRecordingLogger, createTestCsms, FakeChargePoint, type TestCsms } from '@charge-it/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { energyBudget } from '../src/index.js';

const API_KEY = 'example-admin-key-0123456789abcdef';

describe('energyBudget plugin', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });

  async function start(options: Parameters<typeof energyBudget>[0], logger = createRecordingLogger()) {
    const t = await createTestCsms({
      plugins: [energyBudget(options)],
      idTags: { 'CARD-A': 'Accepted', 'CARD-B': 'Accepted', 'SERVICE-1': 'Accepted', 'BLOCKED-1': 'Blocked' },
      chargePoints: ['CP-1'],
      apiAdminKey: API_KEY,
      logger,
    });
    open.push(t);
    const cp = new FakeChargePoint({ url: t.ocppUrlFor('CP-1'), identity: 'CP-1' });
    await cp.connect();
    open.push(cp);
    await cp.boot();
    return { t, cp, logger };
  }

  /** One finished session of `wh` watt-hours. */
  async function charge(t: TestCsms, cp: FakeChargePoint, idTag: string, wh: number) {
    const { transactionId, idTagInfo } = await cp.startTransaction({ connectorId: 1, idTag, meterStart: 0 });
    expect(idTagInfo.status).toBe('Accepted');
    const stop = await cp.stopTransaction({ transactionId, meterStop: wh, idTag });
    await t.csms.drain(); // observe hooks (the warning) have run
    return stop;
  }

  it('refuses a card once its budget is used up, leaves the other cards alone, and never refuses a stop', async () => {
    const { t, cp } = await start({ budgetKwh: 5 });
    expect((await cp.authorize('CARD-A')).idTagInfo.status).toBe('Accepted');
    await charge(t, cp, 'CARD-A', 3_000);
    expect((await cp.authorize('CARD-A')).idTagInfo.status).toBe('Accepted'); // 2 kWh left
    // A session that crosses the budget still stops normally (the stop is not refused).
    const stop = await charge(t, cp, 'CARD-A', 2_500);
    expect(stop.idTagInfo?.status ?? 'Accepted').toBe('Accepted');
    expect((await cp.authorize('CARD-A')).idTagInfo.status).toBe('Blocked');
    expect((await cp.startTransaction({ connectorId: 1, idTag: 'CARD-A', meterStart: 0 })).idTagInfo.status).toBe('Blocked');
    expect((await cp.authorize('CARD-B')).idTagInfo.status).toBe('Accepted');
    // No decision for cards within budget: the card table still decides.
    expect((await cp.authorize('BLOCKED-1')).idTagInfo.status).toBe('Blocked');
    expect((await cp.authorize('UNKNOWN-9')).idTagInfo.status).toBe('Invalid');
  });

  it('exempt cards have no budget', async () => {
    const { t, cp } = await start({ budgetKwh: 1, exempt: ['SERVICE-1'] });
    await charge(t, cp, 'SERVICE-1', 4_000);
    expect((await cp.authorize('SERVICE-1')).idTagInfo.status).toBe('Accepted');
    expect(await t.csms.services.get('energyBudget').usage('SERVICE-1')).toMatchObject({ exempt: true, usedWh: 4_000, remainingWh: 1_000 });
  });

  it('provides a typed service and a REST route with the API keys, and logs a warning near the budget', async () => {
    const { t, cp, logger } = await start({ budgetKwh: 10, warnAtPercent: 50 });
    await charge(t, cp, 'CARD-A', 4_000);
    expect(logger.find((e) => /energy budget: CARD-A has used/.test(String(e.msg)))).toBeUndefined();
    await charge(t, cp, 'CARD-A', 2_000);
    expect(logger.find((e) => /energy budget: CARD-A has used 60 %/.test(String(e.msg)))).toBeDefined();

    const usage = await t.csms.services.get('energyBudget').usage('CARD-A');
    expect(usage).toMatchObject({ idTag: 'CARD-A', budgetWh: 10_000, usedWh: 6_000, remainingWh: 4_000, exempt: false });

    const ok = await fetch(`${t.url}/api/v1/energy-budget/CARD-A`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ usedWh: 6_000, remainingWh: 4_000 });
    expect((await fetch(`${t.url}/api/v1/energy-budget/CARD-A`)).status).toBe(401);
    const openapi = (await (await fetch(`${t.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/energy-budget/{idTag}');
  });

  it('bad options fail when the plugin is created, naming the option', () => {
    let error: unknown;
    try {
      energyBudget({ budgetKwh: -1, windowDays: 0 });
    } catch (err) {
      error = err;
    }
    expect(isCsmsError(error)).toBe(true);
    expect((error as Error).message).toContain('budgetKwh must be a number of kWh above 0');
    expect((error as Error).message).toContain('windowDays must be a whole number');
  });
});
