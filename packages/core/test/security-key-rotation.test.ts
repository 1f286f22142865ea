/**
 * Issue 8 §5, security whitepaper A01 (update the charge point password) over real websockets:
 * the new AuthorizationKey is stored only when the charger Accepts ChangeConfiguration, and from
 * then on the old key is refused; on Rejected the old key stays. The REST rotate-key sends the
 * ChangeConfiguration itself. SQLite, and MariaDB when CHARGE_IT_TEST_MARIADB_URL is set.
 */
import { afterEach, describe, expect, it } from 'vitest';
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
});
