import { afterEach, describe, expect, it } from 'vitest';
import { ChargePointSchema } from '../src/persistence/entities/index.js';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

describe.each(testDatabases())('charge point liveness on $name', (db) => {
  it('writes last heartbeat / last seen of many charge points in one flush, to the second', async () => {
    const ids = ['CP-1', 'CP-2', 'CP-3'];
    const h = await startRules(db, { chargePoints: [...ids, 'CP-SILENT'] });
    const before = Math.floor(Date.now() / 1000) * 1000;
    for (const id of ids) await (await h.connect(id)).heartbeat();
    await h.server.csms.services.get('chargePointService').flushLiveness();
    const after = Date.now();
    const rows = await h.em().find(ChargePointSchema, {}, { orderBy: { id: 'asc' } });
    for (const row of rows.filter((r) => ids.includes(r.id))) {
      expect(row.lastHeartbeatAt!.getTime()).toBeGreaterThanOrEqual(before);
      expect(row.lastHeartbeatAt!.getTime()).toBeLessThanOrEqual(after);
      expect(row.lastHeartbeatAt!.getTime() % 1000).toBe(0);
      expect(row.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(row.lastHeartbeatAt!.getTime());
    }
    expect(rows.find((r) => r.id === 'CP-SILENT')).toMatchObject({ lastHeartbeatAt: null, lastSeenAt: null });
  });
});
