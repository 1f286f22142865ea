/**
 * Issue 8 §5, security whitepaper A01 (update the charge point password) over real websockets:
 * the new AuthorizationKey is stored only when the charger Accepts ChangeConfiguration, and from
 * then on the old key is refused; on Rejected the old key stays. The REST rotate-key sends the
 * ChangeConfiguration itself and takes `?timeoutMs=` like every endpoint that waits for a charger.
 * SQLite, and MariaDB when CHARGE_IT_TEST_MARIADB_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CsmsErrorCode } from '../src/kernel/errors.js';
import { generateAuthKey } from '../src/ocpp/credentials.js';
import { FakeChargePoint } from '../src/testing/index.js';
import { startApi } from './api-fixtures.js';
import { closeRulesHarnesses } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

/** True when `password` passes the handshake of CP-SECURE (the socket is closed again). */
async function connects(url: string, password: string): Promise<boolean> {
  const cp = new FakeChargePoint({ url, identity: 'CP-SECURE', password });
  try {
    await cp.connect();
    await cp.close();
    return true;
  } catch {
    return false;
  }
}

describe.each(testDatabases())('security whitepaper A01: AuthorizationKey rotation on $name', (db) => {
  /**
   * A registered profile-1 charge point, connected with its key. `online(key)` (re)connects it with
   * `key`, answering ChangeConfiguration with `state.answer` and recording the values it received.
   * (A probe connection with a working key replaces the charger's open one, so each step reconnects.)
   */
  async function setUp() {
    const api = await startApi(db);
    const registered = await api.call('POST', '/charge-points', { body: { id: 'CP-SECURE', securityProfile: 1 } });
    const oldKey = registered.body.authKey as string;
    const url = api.h.server.ocppUrlFor('CP-SECURE');
    const state = { answer: 'Accepted', received: [] as string[] };
    const online = async (key: string) => {
      const cp = await api.h.connect('CP-SECURE', { password: key });
      cp.handle('ChangeConfiguration', (params: { key: string; value: string }) => {
        state.received.push(params.value);
        return { status: state.answer };
      });
      await cp.boot();
      return cp;
    };
    await online(oldKey);
    return { api, oldKey, url, state, online };
  }

  it('Accepted: the new key is stored and the old one refused; Rejected: the old key stays', async () => {
    const { api, oldKey, url, state, online } = await setUp();
    const commands = api.h.server.csms.chargePoints.get('CP-SECURE');

    const newKey = generateAuthKey();
    expect(await commands.changeConfiguration({ key: 'AuthorizationKey', value: newKey }, { actor: 'test' })).toEqual({ status: 'Accepted' });
    expect(await connects(url, oldKey)).toBe(false);
    expect(await connects(url, newKey)).toBe(true);

    await online(newKey);
    state.answer = 'Rejected';
    const refusedKey = generateAuthKey();
    expect(await commands.changeConfiguration({ key: 'AuthorizationKey', value: refusedKey }, { actor: 'test' })).toEqual({ status: 'Rejected' });
    expect(await connects(url, refusedKey)).toBe(false);
    expect(await connects(url, newKey)).toBe(true);

    // Another configuration key never touches the stored key.
    await online(newKey);
    state.answer = 'Accepted';
    await commands.changeConfiguration({ key: 'HeartbeatInterval', value: '120' }, { actor: 'test' });
    expect(await connects(url, newKey)).toBe(true);
  });

  it('REST rotate-key sends ChangeConfiguration itself; a charger that rejects it keeps its old key (409)', async () => {
    const { api, oldKey, url, state, online } = await setUp();
    state.answer = 'Rejected';
    const refused = await api.call('POST', '/charge-points/CP-SECURE/rotate-key');
    expect(refused.status).toBe(409);
    expect(state.received).toHaveLength(1);
    expect(refused.text).not.toContain(state.received[0]!);
    expect(await connects(url, state.received[0]!)).toBe(false);
    expect(await connects(url, oldKey)).toBe(true);

    await online(oldKey);
    state.answer = 'Accepted';
    const rotated = await api.call('POST', '/charge-points/CP-SECURE/rotate-key');
    expect(rotated.status).toBe(200);
    expect(state.received[1]).toBe(rotated.body.authKey);
    expect(await connects(url, oldKey)).toBe(false);
    expect(await connects(url, rotated.body.authKey as string)).toBe(true);
  });

  it('REST rotate-key takes ?timeoutMs=: a charger that never answers is 504 CALL_TIMEOUT (old key stays); a bad value is 400 naming the field', async () => {
    const { api, oldKey, url } = await setUp();
    // A fresh connection whose ChangeConfiguration never answers.
    const cp = await api.h.connect('CP-SECURE', { password: oldKey });
    let asked = 0;
    cp.handle('ChangeConfiguration', () => {
      asked += 1;
      return new Promise(() => {});
    });
    await cp.boot();

    const started = Date.now();
    const timedOut = await api.call('POST', '/charge-points/CP-SECURE/rotate-key?timeoutMs=200');
    expect(timedOut.status, timedOut.text).toBe(504);
    expect(timedOut.body.error.code).toBe(CsmsErrorCode.CALL_TIMEOUT);
    expect(timedOut.body.error.message).toMatch(/did not answer ChangeConfiguration within 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(asked).toBe(1);
    const audit = await api.call('GET', '/audit-log?chargePointId=CP-SECURE&action=ChangeConfiguration');
    expect(audit.body.items[0].outcome).toBe('timeout');
    expect(await connects(url, oldKey)).toBe(true);

    for (const bad of ['-1', 'abc', '1', '600001']) {
      const refused = await api.call('POST', `/charge-points/CP-SECURE/rotate-key?timeoutMs=${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.body.error.code, bad).toBe(CsmsErrorCode.INPUT_INVALID);
      expect(Object.keys(refused.body.error.fields), bad).toEqual(['timeoutMs']);
      expect(refused.body.error.message, bad).toContain('timeoutMs');
    }
    expect(asked).toBe(1);

    const openapi = (await api.call('GET', '/openapi.json', { key: null })).body;
    const params = openapi.paths['/charge-points/{id}/rotate-key'].post.parameters as Array<{ name: string; in: string; schema: unknown }>;
    const commandParams = openapi.paths['/charge-points/{id}/reservations'].post.parameters as Array<{ name: string; schema: unknown }>;
    const timeoutParam = params.find((p) => p.name === 'timeoutMs');
    expect(timeoutParam?.in).toBe('query');
    expect(timeoutParam?.schema).toEqual(commandParams.find((p) => p.name === 'timeoutMs')?.schema);
    expect(Object.keys(openapi.paths['/charge-points/{id}/rotate-key'].post.responses)).toEqual(expect.arrayContaining(['502', '504']));
  });
});
