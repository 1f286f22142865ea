/**
 * DESIGN.md "OCPP rules" at the handshake, through createCsms: charge point id checks, unknown ids
 * (404 unless auto-registration), security profile 1 (Basic auth, keys stored hashed) and 2 (TLS +
 * Basic auth). The gateway tests cover each branch; these prove the CSMS wires its data to them.
 */
import https from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthKey, hashAuthKey } from '../src/ocpp/credentials.js';
import { ChargePointSchema } from '../src/persistence/entities/index.js';
import { FakeChargePoint } from '../src/testing/index.js';
import { basicAuth, upgradeRequest } from './gateway-fixtures.js';
import { closeRulesHarnesses, startRules, type RulesHarness } from './ocpp-rules-fixtures.js';
import { testDatabases } from './support/databases.js';

afterEach(closeRulesHarnesses);

const KEY = generateAuthKey();
let keyHash = '';
let certDir = '';
let tlsFiles: { certFile: string; keyFile: string };
let trustedCa = '';

beforeAll(async () => {
  keyHash = await hashAuthKey(KEY);
  certDir = await mkdtemp(join(tmpdir(), 'charge-it-ocpp-rules-tls-'));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
  });
  tlsFiles = { certFile: join(certDir, 'server.crt'), keyFile: join(certDir, 'server.key') };
  await writeFile(tlsFiles.certFile, pems.cert);
  await writeFile(tlsFiles.keyFile, pems.private);
  trustedCa = pems.cert;
});

afterAll(async () => {
  await rm(certDir, { recursive: true, force: true });
});

/** Stores a charge point with a security profile and the hash of KEY (never the key itself). */
async function addSecuredChargePoint(h: RulesHarness, id: string, securityProfile: 1 | 2): Promise<void> {
  const em = h.em();
  em.create(ChargePointSchema, { id, securityProfile, authKeyHash: keyHash });
  await em.flush();
}

describe.each(testDatabases())('OCPP rules: handshake and security profiles on $name', (db) => {
  describe('charge point ids', () => {
    it('an unknown id gets HTTP 404 at the handshake and nothing is stored', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'] });
      expect((await upgradeRequest(h.server.port, '/ocpp/CP-UNKNOWN')).status).toBe(404);
      await expect(new FakeChargePoint({ url: h.server.ocppUrlFor('CP-2'), identity: 'CP-2' }).connect()).rejects.toThrow();
      expect((await upgradeRequest(h.server.port, '/ocpp/CP-1')).status).toBe(101);
      expect((await h.em().find(ChargePointSchema, {})).map((c) => c.id)).toEqual(['CP-1']);
      expect(h.server.csms.sessions.ids().filter((id) => id !== 'CP-1')).toEqual([]);
    });

    it('with autoRegister an unknown id is admitted and its charge point row created (profile 0)', async () => {
      const h = await startRules(db, { autoRegister: true });
      const cp = await h.connect('CP-NEW');
      expect(await cp.boot()).toMatchObject({ status: 'Accepted' });
      const row = await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-NEW' });
      expect(row).toMatchObject({ securityProfile: 0, authKeyHash: null, registrationStatus: 'Accepted', vendor: 'Charge-IT' });
      expect(await h.counts()).toMatchObject({ charge_point: 1, device_event: 1 });
    });

    it('a bad id (pattern or length) gets HTTP 400, even with autoRegister, and nothing is stored', async () => {
      const h = await startRules(db, { autoRegister: true });
      for (const path of ['/ocpp/bad%20id', '/ocpp/a%2Fb', `/ocpp/${'x'.repeat(49)}`, '/ocpp/%E0%A4%A', '/ocpp/..']) {
        expect({ path, status: (await upgradeRequest(h.server.port, path)).status }).toEqual({ path, status: 400 });
      }
      expect((await upgradeRequest(h.server.port, `/ocpp/${'x'.repeat(48)}`)).status).toBe(101);
      expect((await h.em().find(ChargePointSchema, {})).map((c) => c.id)).toEqual(['x'.repeat(48)]);
    });

    it('ids are exact on every database: a registered id in another letter case is not that charge point', async () => {
      const h = await startRules(db, { chargePoints: ['CP-1'], idTags: { TAG: 'Accepted' } });
      const cp = await h.connect('CP-1');
      // MariaDB's case-insensitive collation would match "cp-1" to the row "CP-1"; SQLite never does.
      expect((await upgradeRequest(h.server.port, '/ocpp/cp-1')).status).toBe(404);
      expect(h.server.csms.sessions.ids()).toEqual(['CP-1']);
      expect(await cp.heartbeat()).toEqual({ currentTime: expect.any(String) });
      await h.restart({ autoRegister: true });
      // Auto-registration does not make a second charge point that only differs in case (MariaDB could not store it).
      expect((await upgradeRequest(h.server.port, '/ocpp/cp-1')).status).not.toBe(101);
      expect((await h.em().find(ChargePointSchema, {})).map((c) => c.id)).toEqual(['CP-1']);
      expect(h.server.csms.sessions.ids()).toEqual([]);
    });
  });

  describe('security profile 1 (Basic auth)', () => {
    it('the right key connects; a wrong or missing key gets 401 before the upgrade', async () => {
      const h = await startRules(db);
      await addSecuredChargePoint(h, 'CP-S1', 1);
      expect((await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-S1' })).authKeyHash).not.toContain(KEY);

      const cp = await h.connect('CP-S1', { password: KEY });
      expect(await cp.boot()).toMatchObject({ status: 'Accepted' });

      const port = h.server.port;
      const missing = await upgradeRequest(port, '/ocpp/CP-S1');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toMatch(/^Basic /);
      expect((await upgradeRequest(port, '/ocpp/CP-S1', { Authorization: basicAuth('CP-S1', `${KEY}x`) })).status).toBe(401);
      expect((await upgradeRequest(port, '/ocpp/CP-S1', { Authorization: basicAuth('CP-OTHER', KEY) })).status).toBe(401);
      await expect(new FakeChargePoint({ url: h.server.ocppUrlFor('CP-S1'), identity: 'CP-S1', password: 'wrong-key' }).connect()).rejects.toThrow();

      // The refused attempts did not disturb the admitted connection.
      expect(h.server.csms.sessions.ids()).toEqual(['CP-S1']);
      expect(await cp.heartbeat()).toEqual({ currentTime: expect.any(String) });
    });
  });

  describe('security profile 2 (TLS + Basic auth)', () => {
    it('over wss with the CA trusted the right key connects; a wrong key gets 401; plain ws to the TLS port is refused', async () => {
      const h = await startRules(db, { tls: tlsFiles });
      await addSecuredChargePoint(h, 'CP-S2', 2);
      expect(h.server.ocppUrlFor('CP-S2')).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ocpp\/CP-S2$/);

      const cp = await h.connect('CP-S2', { password: KEY, wsOpts: { ca: trustedCa } });
      expect(await cp.boot()).toMatchObject({ status: 'Accepted' });
      expect(await h.em().findOneOrFail(ChargePointSchema, { id: 'CP-S2' })).toMatchObject({ registrationStatus: 'Accepted' });

      const overTls = { request: https.request, ca: trustedCa };
      expect((await upgradeRequest(h.server.port, '/ocpp/CP-S2', { Authorization: basicAuth('CP-S2', 'not-the-key') }, overTls)).status).toBe(401);
      expect((await upgradeRequest(h.server.port, '/ocpp/CP-S2', {}, overTls)).status).toBe(401);

      const plain = new FakeChargePoint({ url: `ws://127.0.0.1:${h.server.port}/ocpp/CP-S2`, identity: 'CP-S2', password: KEY });
      await expect(plain.connect()).rejects.toThrow();
      expect(h.server.csms.sessions.ids()).toEqual(['CP-S2']);
    });

    it('a profile-2 charge point on a server without TLS gets 401 even with the right key', async () => {
      const h = await startRules(db);
      await addSecuredChargePoint(h, 'CP-S2', 2);
      expect((await upgradeRequest(h.server.port, '/ocpp/CP-S2', { Authorization: basicAuth('CP-S2', KEY) })).status).toBe(401);
      await expect(new FakeChargePoint({ url: h.server.ocppUrlFor('CP-S2'), identity: 'CP-S2', password: KEY }).connect()).rejects.toThrow();
      expect(h.server.csms.sessions.size).toBe(0);
    });
  });
});
