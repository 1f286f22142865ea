/**
 * Issue 8 §2: a flood of wrong passwords from one address must not lock real chargers out. The
 * flood comes from 127.0.0.2 while valid chargers connect from 127.0.0.3 (real loopback sockets,
 * `localAddress`), against a real CSMS on SQLite. Timing-free: only outcomes are asserted
 * (bench/auth-flood.mjs measures the figures).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChargePointSchema } from '../src/persistence/entities/index.js';
import { generateAuthKey, hashAuthKey, hashGeneratedAuthKey } from '../src/ocpp/credentials.js';
import { basicAuth, upgradeRequest } from './gateway-fixtures.js';
import { closeRulesHarnesses, startRules } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

const sqlite = testDatabases().find((d) => d.name === 'sqlite')!;

describe('password flood (issue 8 §2)', () => {
  it('throttles the flooding address; chargers from another address connect, with typed (scrypt) and generated (HMAC) keys', async () => {
    const h = await startRules(sqlite, { chargePoints: ['CP-TYPED', 'CP-GEN', 'CP-OTHER'], ocpp: { maxAuthFailuresPerIp: 10 } });
    const typedKey = 'operator typed this key 1';
    const generatedKey = generateAuthKey();
    const em = h.em();
    await em.nativeUpdate(ChargePointSchema, { id: 'CP-TYPED' }, { securityProfile: 1, authKeyHash: await hashAuthKey(typedKey) });
    await em.nativeUpdate(ChargePointSchema, { id: 'CP-GEN' }, { securityProfile: 1, authKeyHash: hashGeneratedAuthKey(generatedKey) });
    await em.nativeUpdate(ChargePointSchema, { id: 'CP-OTHER' }, { securityProfile: 1, authKeyHash: hashGeneratedAuthKey(generateAuthKey()) });
    const port = h.server.port;
    const attempt = (identity: string, password: string, localAddress: string) =>
      upgradeRequest(port, `/ocpp/${identity}`, { Authorization: basicAuth(identity, password) }, { localAddress });

    // 300 wrong passwords at once from 127.0.0.2, against the typed key (the expensive check) and others.
    const flood = Array.from({ length: 300 }, (_, i) => attempt(i % 3 === 0 ? 'CP-TYPED' : i % 3 === 1 ? 'CP-GEN' : 'CP-NOPE', `wrong-${i}`, '127.0.0.2'));
    // Meanwhile the real chargers connect from 127.0.0.3.
    const valid = await Promise.all([attempt('CP-TYPED', typedKey, '127.0.0.3'), attempt('CP-GEN', generatedKey, '127.0.0.3')]);
    const results = await Promise.all(flood);
    expect(valid.map((r) => r.status)).toEqual([101, 101]);

    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect([...byStatus.keys()].every((s) => [401, 404, 429].includes(s))).toBe(true);
    // The failure budget (10) plus the checks already under way when it ran out; the rest is 429.
    expect((byStatus.get(401) ?? 0) + (byStatus.get(404) ?? 0)).toBeLessThan(150);
    expect(byStatus.get(429)).toBeGreaterThan(150);
    const throttled = results.find((r) => r.status === 429 && r.headers['retry-after'] !== undefined);
    expect(Number(throttled?.headers['retry-after'])).toBeGreaterThan(0);

    // The flooding address is throttled even with the right key now; other addresses are not.
    expect((await attempt('CP-GEN', generatedKey, '127.0.0.2')).status).toBe(429);
    expect((await attempt('CP-GEN', generatedKey, '127.0.0.4')).status).toBe(101);
    expect((await attempt('CP-TYPED', typedKey, '127.0.0.4')).status).toBe(101);
    // Wrong passwords from a fresh address are still told 401 (not 429) while it has budget.
    expect((await attempt('CP-TYPED', 'wrong', '127.0.0.5')).status).toBe(401);
  });

  it('stores generated keys with the fast salted hash and typed keys with scrypt; both verify, rotation invalidates the cache', async () => {
    const h = await startRules(sqlite, { chargePoints: ['CP-1'] });
    const key = generateAuthKey();
    const stored = hashGeneratedAuthKey(key);
    expect(stored).toMatch(/^hs256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(hashGeneratedAuthKey(key)).not.toBe(stored); // salted
    expect(() => hashGeneratedAuthKey('short typed password')).toThrow(/generateAuthKey/);
    await h.em().nativeUpdate(ChargePointSchema, { id: 'CP-1' }, { securityProfile: 1, authKeyHash: stored });
    const port = h.server.port;
    const attempt = (password: string) => upgradeRequest(port, '/ocpp/CP-1', { Authorization: basicAuth('CP-1', password) });
    expect((await attempt(key)).status).toBe(101);
    expect((await attempt(key)).status).toBe(101); // from the verified-key cache
    // A new stored key (rotation): the cached old key no longer opens.
    const next = generateAuthKey();
    await h.em().nativeUpdate(ChargePointSchema, { id: 'CP-1' }, { authKeyHash: hashGeneratedAuthKey(next) });
    expect((await attempt(key)).status).toBe(401);
    expect((await attempt(next)).status).toBe(101);
  });
});
