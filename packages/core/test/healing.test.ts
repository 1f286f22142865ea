import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTOR_AVAILABLE_WHILE_ACTIVE } from '../src/domain/healing/healing-service.js';
import { TransactionSchema } from '../src/persistence/entities/index.js';
import type { MessageTrigger } from '../src/ocpp/v16/central-system-messages.js';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

/** Polls `check` until it returns true (bounded: 200 × 25 ms). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

async function setUp(db: Parameters<typeof startRules>[0]) {
  const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { 'TAG-1': 'Accepted' } });
  const healing = h.server.csms.services.get('healing');
  healing.configure({ delayMs: 30 });
  const cp = await h.connect('CP-1');
  const triggers: Array<{ requestedMessage: MessageTrigger; connectorId?: number }> = [];
  cp.handle('TriggerMessage', (params) => {
    triggers.push(params);
    return { status: 'Accepted' };
  });
  await cp.boot();
  return { h, cp, healing, triggers };
}

describe.each(testDatabases())('remote trigger and healing on $name', (db) => {
  it('TriggerMessage reaches the charge point for every message type', async () => {
    const { h, triggers } = await setUp(db);
    const all: MessageTrigger[] = ['BootNotification', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification', 'Heartbeat', 'MeterValues', 'StatusNotification'];
    const cmd = h.server.csms.chargePoints.get('CP-1');
    for (const requestedMessage of all) {
      expect(await cmd.triggerMessage({ requestedMessage, ...(requestedMessage === 'MeterValues' ? { connectorId: 1 } : {}) })).toEqual({ status: 'Accepted' });
    }
    expect(triggers.map((t) => t.requestedMessage)).toEqual(all);
    expect(triggers[4]).toEqual({ requestedMessage: 'MeterValues', connectorId: 1 });
  });

  it('a connector Charging without a transaction gets TriggerMessage MeterValues + StatusNotification, once', async () => {
    const { h, cp, healing, triggers } = await setUp(db);
    await cp.status(1, 'Charging');
    await h.server.csms.drain();
    await until(() => triggers.length === 2);
    await healing.idle();
    expect(triggers).toEqual([
      { requestedMessage: 'MeterValues', connectorId: 1 },
      { requestedMessage: 'StatusNotification', connectorId: 1 },
    ]);
    expect(healing.actions()).toMatchObject([
      { chargePointId: 'CP-1', connectorId: 1, problem: 'charging-without-transaction', connectorStatus: 'Charging', triggered: [{ result: 'Accepted' }, { result: 'Accepted' }] },
    ]);

    // The charger answers the trigger with the same status: no second round (rate limit per connector).
    await cp.status(1, 'Charging');
    await h.server.csms.drain();
    await new Promise((r) => setTimeout(r, 100));
    await healing.idle();
    expect(await healing.check('CP-1', 1)).toBeNull();
    expect(triggers).toHaveLength(2);
  });

  it('leaves consistent connectors alone (Charging with its transaction, Available without one)', async () => {
    const { cp, healing, triggers } = await setUp(db);
    healing.configure({ delayMs: 60_000 }); // checked by hand below
    await cp.status(2, 'Available');
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'TAG-1', meterStart: 0 });
    await cp.status(1, 'Charging');
    expect(await healing.check('CP-1', 1)).toBeNull();
    expect(await healing.check('CP-1', 2)).toBeNull();
    await cp.stopTransaction({ transactionId, meterStop: 1000 });
    expect(triggers).toEqual([]);
  });

  it('an Active transaction on a connector reported Available is flagged and the status re-queried', async () => {
    const { h, cp, healing, triggers } = await setUp(db);
    const { transactionId } = await cp.startTransaction({ connectorId: 1, idTag: 'TAG-1', meterStart: 0 });
    await cp.status(1, 'Available');
    await h.server.csms.drain();
    await until(() => triggers.length === 1);
    await healing.idle();
    expect(triggers).toEqual([{ requestedMessage: 'StatusNotification', connectorId: 1 }]);
    const tx = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });
    expect(tx.status).toBe('Active');
    expect(tx.flags).toContain(CONNECTOR_AVAILABLE_WHILE_ACTIVE);
    expect(healing.actions()).toMatchObject([{ problem: 'connector-available-while-active', transactionIds: [transactionId] }]);
  });

  it('connectors of several chargers due together are checked together; each gets its own verdict', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'], idTags: { 'TAG-1': 'Accepted' } });
    const healing = h.server.csms.services.get('healing');
    healing.configure({ delayMs: 50 });
    const triggers: Array<{ chargePointId: string; requestedMessage: MessageTrigger; connectorId?: number }> = [];
    const cps = [];
    for (const id of ['CP-1', 'CP-2']) {
      const cp = await h.connect(id);
      cp.handle('TriggerMessage', (params) => {
        triggers.push({ chargePointId: id, ...params });
        return { status: 'Accepted' };
      });
      await cp.boot();
      cps.push(cp);
    }
    const [cp1, cp2] = cps as [(typeof cps)[0], (typeof cps)[0]];
    const { transactionId } = await cp2.startTransaction({ connectorId: 2, idTag: 'TAG-1', meterStart: 0 });
    // Within the same few ms: CP-1/1 Charging without a transaction, CP-1/2 Available (consistent),
    // CP-2/1 Charging with no transaction on it (CP-2's transaction is on 2), CP-2/2 Available with it Active.
    await Promise.all([cp1.status(1, 'Charging'), cp1.status(2, 'Available'), cp2.status(1, 'Charging'), cp2.status(2, 'Available')]);
    await h.server.csms.drain();
    await until(() => triggers.length === 5);
    await healing.idle();
    const verdicts = healing.actions().map((a) => `${a.chargePointId}/${a.connectorId} ${a.problem} [${a.transactionIds.join(',')}]`);
    expect(verdicts.sort()).toEqual([
      'CP-1/1 charging-without-transaction []',
      'CP-2/1 charging-without-transaction []',
      `CP-2/2 connector-available-while-active [${transactionId}]`,
    ]);
    expect(triggers.filter((t) => t.requestedMessage === 'MeterValues').map((t) => `${t.chargePointId}/${t.connectorId}`).sort()).toEqual(['CP-1/1', 'CP-2/1']);
    const tx = await h.em().findOneOrFail(TransactionSchema, { id: transactionId });
    expect(tx.flags).toContain(CONNECTOR_AVAILABLE_WHILE_ACTIVE);
  });
});
