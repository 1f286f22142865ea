/**
 * DESIGN.md "OCPP rules" on the connection: OCPP-J 1.6 CALLERROR codes through the full CSMS (the
 * gateway tests cover every case; here only the wiring), one connection per charge point, and a
 * graceful close that commits a transaction message in flight.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StatusEventSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import { definePlugin } from '../src/plugin.js';
import { deferred, RawClient } from './gateway-fixtures.js';
import { at, closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

const raws: RawClient[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) await raw.close();
});

describe.each(testDatabases())('OCPP rules: connections on $name', (db) => {
  describe('malformed frames through the full CSMS', () => {
    it('get OCPP-J 1.6 CALLERRORs and the connection keeps working', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'] });
      const raw = await RawClient.connect(h.server.port, 'CP-1');
      raws.push(raw);
      const status = { connectorId: 1, errorCode: 'NoError', status: 'Available' };

      const cases: Array<[frame: unknown, id: string, code: string]> = [
        ['[2,"j1","Heartbeat",{', '-1', 'FormationViolation'],
        [[2, 'u1', 'FlyToTheMoon', {}], 'u1', 'NotImplemented'],
        [[2, 'u2', 'heartbeat', {}], 'u2', 'NotImplemented'],
        [[2, 's1', 'StatusNotification', { ...status, connectorId: undefined }], 's1', 'OccurenceConstraintViolation'],
        [[2, 's2', 'StatusNotification', { ...status, connectorId: '1' }], 's2', 'TypeConstraintViolation'],
        [[2, 's3', 'StatusNotification', { ...status, status: 'Sleeping' }], 's3', 'PropertyConstraintViolation'],
      ];
      for (const [frame, id, code] of cases) {
        raw.send(frame);
        const answer = (await raw.next()) as unknown[];
        expect(answer.slice(0, 3)).toEqual([4, id, code]);
        expect(answer).toHaveLength(5);
      }

      const alive = await raw.heartbeat('alive');
      expect(alive).toEqual([3, 'alive', { currentTime: expect.any(String) }]);
      raw.send([2, 'ok', 'StatusNotification', status]);
      expect(await raw.next()).toEqual([3, 'ok', {}]);
      // Only the valid StatusNotification reached the database.
      expect((await h.em().find(StatusEventSchema, {})).map((s) => [s.connectorId, s.status])).toEqual([[1, 'Available']]);
    });
  });

  describe('one connection per charge point', () => {
    it('a second connection for the same id replaces the first (closed); Connected/Disconnected hooks fire in order', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'] });
      const first = await h.connect('CP-1');
      await h.recorder.waitFor('onChargePointConnected');
      const firstClosed = new Promise<{ code: number; reason: string }>((resolve) => first.client.once('close', resolve));

      const second = await h.connect('CP-1');
      expect(await firstClosed).toEqual({ code: 1000, reason: 'replaced by a new connection' });
      expect(await second.heartbeat()).toEqual({ currentTime: expect.any(String) });
      expect(h.server.csms.sessions.size).toBe(1);
      expect(h.server.csms.sessions.ids()).toEqual(['CP-1']);

      await second.close();
      await h.recorder.waitFor('onChargePointDisconnected');
      await h.server.csms.drain();
      expect(h.server.csms.sessions.size).toBe(0);
      // The replaced connection's close is not reported: the charge point never went offline.
      expect(h.recorder.events.map((e) => [e.hook, (e.arg as { chargePointId: string }).chargePointId])).toEqual([
        ['onChargePointConnected', 'CP-1'],
        ['onChargePointConnected', 'CP-1'],
        ['onChargePointDisconnected', 'CP-1'],
      ]);
    });
  });

  describe('graceful close', () => {
    it('a StartTransaction in flight when csms.close() is called is answered and committed', async () => {
      const entered = deferred();
      const release = deferred();
      // Holds the StartTransaction inside its handler (the idTag re-check) until the test lets go.
      const slowAuth = definePlugin({
        name: 'slow-auth',
        hooks: {
          onAuthorize: async ({ reason }) => {
            if (reason === 'StartTransaction') {
              entered.resolve();
              await release.promise;
            }
            return undefined;
          },
        },
      });
      const h = await startRules(db, {
        chargePoints: ['CP-1'],
        idTags: { TAG: 'Accepted' },
        plugins: [slowAuth],
        hooks: { decideTimeoutMs: 20_000 },
      });
      const cp = await h.connect('CP-1');

      const answer = cp.startTransaction({ idTag: 'TAG', meterStart: 42, timestamp: at(0) });
      await entered.promise;
      const closing = h.server.csms.close();
      release.resolve();
      const start = await answer;
      expect(start).toEqual({ transactionId: expect.any(Number), idTagInfo: { status: 'Accepted' } });
      await closing;
      expect(h.recorder.of('onTransactionStarted').map((e) => e.transaction.id)).toEqual([start.transactionId]);

      await h.restart();
      const tx = await h.em().findOneOrFail(TransactionSchema, { id: start.transactionId });
      expect(tx).toMatchObject({ chargePoint: 'CP-1', idTag: 'TAG', meterStart: 42, status: 'Active' });
      expect(await h.em().count(TransactionSchema, {})).toBe(1);
    });
  });
});
