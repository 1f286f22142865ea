/**
 * Maintenance mode end to end: the setting switches every charge point Inoperative / Operative with
 * ChangeAvailability on connector 0, also those that connect or boot later.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLogSchema } from '../src/persistence/entities/index.js';
import type { FakeChargePoint } from '../src/testing/index.js';
import { closeRulesHarnesses, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

type AvailabilityAnswer = 'Accepted' | 'Rejected' | 'Scheduled';

interface Charger {
  cp: FakeChargePoint;
  got: Array<{ connectorId: number; type: string }>;
  answer: AvailabilityAnswer;
}

async function connect(h: RulesHarness, id: string, boot = true): Promise<Charger> {
  const cp = await h.connect(id);
  const charger: Charger = { cp, got: [], answer: 'Accepted' };
  cp.handle('ChangeAvailability', (params) => {
    charger.got.push(params);
    return { status: charger.answer };
  });
  if (boot) await cp.boot();
  await settle(h);
  return charger;
}

async function settle(h: RulesHarness): Promise<void> {
  const maintenance = h.server.csms.services.get('maintenance');
  for (let i = 0; i < 2; i++) {
    await h.server.csms.drain();
    await new Promise((r) => setImmediate(r));
    await maintenance.settled();
  }
}

async function setMode(h: RulesHarness, on: boolean): Promise<void> {
  await h.server.csms.services.get('settings').set('maintenanceMode', on, 'api:ops');
  await settle(h);
}

describe.each(testDatabases())('maintenance mode on $name', (db) => {
  it('on: Inoperative on connector 0 of every connected charge point and of those that boot later; off: Operative again', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2', 'CP-3'] });
    const maintenance = h.server.csms.services.get('maintenance');
    const [c1, c2] = [await connect(h, 'CP-1'), await connect(h, 'CP-2')];
    expect([c1.got, c2.got]).toEqual([[], []]);

    c2.answer = 'Scheduled'; // a transaction is running there: applies when it ends
    await setMode(h, true);
    expect(c1.got).toEqual([{ connectorId: 0, type: 'Inoperative' }]);
    expect(c2.got).toEqual([{ connectorId: 0, type: 'Inoperative' }]);

    // A charge point that connects and boots while it is on: one call, not one for the connection and one for the boot.
    const c3 = await connect(h, 'CP-3');
    expect(c3.got).toEqual([{ connectorId: 0, type: 'Inoperative' }]);

    const status = await maintenance.status();
    expect(status.enabled).toBe(true);
    expect(status.chargePoints.map((o) => [o.chargePointId, o.requested, o.outcome, o.trigger])).toEqual([
      ['CP-1', 'Inoperative', 'Accepted', 'setting'],
      ['CP-2', 'Inoperative', 'Scheduled', 'setting'],
      ['CP-3', 'Inoperative', 'Accepted', 'boot'],
    ]);

    c2.answer = 'Accepted';
    await setMode(h, false);
    for (const c of [c1, c2, c3]) expect(c.got.at(-1)).toEqual({ connectorId: 0, type: 'Operative' });
    expect((await maintenance.status()).chargePoints.every((o) => o.requested === 'Operative' && o.outcome === 'Accepted')).toBe(true);

    // Every call is audited under the maintenance actor.
    const audit = await h.em().find(AuditLogSchema, { actor: 'system:maintenance' }, { orderBy: { id: 'asc' } });
    const rows = audit.map((a) => `${a.chargePoint} ${(a.request as { type: string }).type} ${a.outcome}`);
    // Calls to different charge points run in parallel: compare each switch's rows as a set.
    expect(rows.slice(0, 2).sort()).toEqual(['CP-1 Inoperative accepted', 'CP-2 Inoperative scheduled']);
    expect(rows[2]).toBe('CP-3 Inoperative accepted');
    expect(rows.slice(3).sort()).toEqual(['CP-1 Operative accepted', 'CP-2 Operative accepted', 'CP-3 Operative accepted']);
  });

  it('records a refusal; a charge point reconnecting while on is made Inoperative; one offline at switch-off is restored when it returns', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1', 'CP-2'] });
    const maintenance = h.server.csms.services.get('maintenance');
    const c1 = await connect(h, 'CP-1');
    c1.answer = 'Rejected';
    await setMode(h, true);
    expect((await maintenance.status()).chargePoints).toMatchObject([{ chargePointId: 'CP-1', requested: 'Inoperative', outcome: 'Rejected' }]);

    // CP-1 reconnects without booting: tried again, accepted this time.
    await c1.cp.close();
    await settle(h);
    const c1b = await connect(h, 'CP-1', false);
    expect(c1b.got).toEqual([{ connectorId: 0, type: 'Inoperative' }]);

    // CP-1 goes offline; maintenance ends meanwhile; it comes back (boots) and is made Operative.
    await c1b.cp.close();
    await settle(h);
    await setMode(h, false);
    expect((await maintenance.status()).chargePoints[0]).toMatchObject({ chargePointId: 'CP-1', requested: 'Inoperative', outcome: 'Accepted' });
    const c1c = await connect(h, 'CP-1');
    expect(c1c.got).toEqual([{ connectorId: 0, type: 'Operative' }]);

    // CP-2 was never made Inoperative: nothing to restore.
    const c2 = await connect(h, 'CP-2');
    expect(c2.got).toEqual([]);
  });

  it('restores a charge point made Inoperative before a restart of the CSMS (state from the audit log)', async () => {
    const h = await startRules(db, { chargePoints: ['CP-1'] });
    await connect(h, 'CP-1');
    await setMode(h, true);
    await h.restart();
    await setMode(h, false); // nobody connected
    const back = await connect(h, 'CP-1');
    expect(back.got).toEqual([{ connectorId: 0, type: 'Operative' }]);
  });
});
