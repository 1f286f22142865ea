/**
 * Authorize distinguishes Invalid, Expired, Blocked and Accepted, with parentIdTag and expiryDate
 * (OCTT TC_023_1–3; OCPP-NOTES §1.6: CitrineOS answering Invalid for Blocked is a known failure).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('OCPP rules: Authorize on $name', (db) => {
  it('answers Invalid / Expired / Blocked / Accepted with parentIdTag and expiryDate, and stores nothing', async () => {
    const future = new Date(Date.UTC(2099, 5, 30, 12, 0, 0));
    const past = new Date(Date.now() - 60_000);
    const h = await startRules(db, {
      chargePoints: ['CP-1'],
      idTags: {
        GOOD: { status: 'Accepted', parentIdTag: 'FLEET-1', expiryDate: future },
        PLAIN: 'Accepted',
        STOLEN: { status: 'Blocked', parentIdTag: 'FLEET-1' },
        OLD: 'Expired',
        LAPSED: { status: 'Accepted', expiryDate: past },
        VOID: 'Invalid',
      },
    });
    const cp = await h.connect('CP-1');
    const before = await h.counts();

    expect(await cp.authorize('GOOD')).toEqual({
      idTagInfo: { status: 'Accepted', parentIdTag: 'FLEET-1', expiryDate: '2099-06-30T12:00:00.000Z' },
    });
    expect(await cp.authorize('PLAIN')).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(await cp.authorize('STOLEN')).toEqual({ idTagInfo: { status: 'Blocked', parentIdTag: 'FLEET-1' } });
    expect(await cp.authorize('OLD')).toEqual({ idTagInfo: { status: 'Expired' } });
    // Accepted in the table but past its expiry date: Expired, with the date so the charger's cache agrees.
    expect(await cp.authorize('LAPSED')).toEqual({ idTagInfo: { status: 'Expired', expiryDate: past.toISOString() } });
    expect(await cp.authorize('VOID')).toEqual({ idTagInfo: { status: 'Invalid' } });
    expect(await cp.authorize('NEVER-SEEN')).toEqual({ idTagInfo: { status: 'Invalid' } });

    expect(await h.counts()).toEqual(before);
  });
});
