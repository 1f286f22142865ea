import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdTagSchema, TransactionSchema, ChargePointSchema, type Csms } from '@charge-it/core';
import { FakeChargePoint } from '@charge-it/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSpkluApp, DEMO_ADMIN, SPKLU_DEMO_ID_TAG, type SpkluAppOptions } from '../src/index.js';
import { createRecordingLogger } from '@charge-it/core/testing';

describe('SPKLU app', () => {
  let dataDir: string;
  const open: Array<{ close(): Promise<unknown> }> = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'charge-it-spklu-'));
  });

  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The app as `npm start` builds it, but on port 0, in a temp data dir, and deaf to this process's CHARGE_IT_* variables. */
  async function startApp(options: SpkluAppOptions = {}) {
    const csms = await createSpkluApp({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: `sqlite:${join(dataDir, 'spklu.db')}`,
      env: {},
      logLevel: 'silent',
      ...options,
    });
    open.push(csms);
    return { csms, address: await csms.listen() };
  }

  async function stopApp(csms: Csms) {
    open.splice(open.indexOf(csms), 1);
    await csms.close();
  }

  async function connect(ocppUrl: string, identity: string) {
    const cp = new FakeChargePoint({ url: `${ocppUrl}/${identity}`, identity });
    await cp.connect();
    open.push(cp);
    return cp;
  }

  it('applies the demo configuration: port 9000 and auto-registration unless told otherwise', async () => {
    // Built but not listening (9000 may be taken here); the default database path is checked by main-process.test.ts.
    const csms = await createSpkluApp({ databaseUrl: `sqlite:${join(dataDir, 'spklu.db')}`, env: {}, logLevel: 'silent' });
    open.push(csms);
    expect(csms.config.port).toBe(9000);
    expect(csms.config.autoRegister).toBe(true);
  });

  it('lets CHARGE_IT_* variables override the demo configuration', async () => {
    const csms = await createSpkluApp({
      databaseUrl: `sqlite:${join(dataDir, 'spklu.db')}`,
      env: { CHARGE_IT_PORT: '9100', CHARGE_IT_AUTO_REGISTER: 'false', CHARGE_IT_DATABASE_URL: `sqlite:${join(dataDir, 'other.db')}` },
      logLevel: 'silent',
    });
    open.push(csms);
    expect(csms.config.port).toBe(9100);
    expect(csms.config.autoRegister).toBe(false);
    expect(csms.config.databaseUrl).toBe(`sqlite:${join(dataDir, 'other.db')}`);
  });

  it('answers GET /health with 200, the version and an ok database', async () => {
    const { address } = await startApp();
    const response = await fetch(`${address.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; version: string; database: string };
    expect(body.status).toBe('ok');
    expect(body.database).toBe('ok');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('registers an unknown charger on first contact and lets it charge with DEMO-123', async () => {
    const { csms, address } = await startApp();
    const cp = await connect(address.ocppUrl, 'SPKLU-NEW-01');

    const boot = await cp.boot({ chargePointVendor: 'ACME', chargePointModel: 'DC-50' });
    expect(boot.status).toBe('Accepted');
    await cp.status(1, 'Available');
    expect((await cp.authorize(SPKLU_DEMO_ID_TAG)).idTagInfo.status).toBe('Accepted');

    const start = await cp.startTransaction({ connectorId: 1, idTag: SPKLU_DEMO_ID_TAG, meterStart: 1_000 });
    expect(start.idTagInfo.status).toBe('Accepted');
    expect(start.transactionId).toBeGreaterThan(0);
    await cp.meterValues({ connectorId: 1, transactionId: start.transactionId, energyWh: 1_500 });
    await cp.stopTransaction({ transactionId: start.transactionId, meterStop: 2_000, idTag: SPKLU_DEMO_ID_TAG });
    await csms.drain();

    const em = csms.orm.em.fork();
    expect(await em.findOne(ChargePointSchema, { id: 'SPKLU-NEW-01' })).not.toBeNull();
    const tx = await em.findOneOrFail(TransactionSchema, { id: start.transactionId });
    expect(tx.meterStart).toBe(1_000);
    expect(tx.meterStop).toBe(2_000);
  });

  it('accepts the cards of charge-it-edge simulate in the demo (added to the card table once), but not its stranger card', async () => {
    const { csms, address } = await startApp();
    const cp = await connect(address.ocppUrl, 'SIM-001');
    await cp.boot();
    expect((await cp.authorize('SIM0011A')).idTagInfo.status).toBe('Accepted');
    expect((await cp.authorize('SIM0011A')).idTagInfo.status).toBe('Accepted');
    expect((await cp.authorize('SIM001X')).idTagInfo.status).toBe('Invalid');
    const tag = await csms.services.get('idTags').get('SIM0011A');
    expect(tag).toMatchObject({ status: 'Accepted', ownerName: 'simulator (demo)' });
    // An operator's block sticks: the table decides, the demo only adds missing cards.
    await csms.services.get('idTags').block('SIM0011A', 'test');
    expect((await cp.authorize('SIM0011A')).idTagInfo.status).toBe('Blocked');
  });

  it('the production configuration (demo: false): no demo cards, no simulator cards, no auto-registration, no demo login, no public view', async () => {
    const { csms, address } = await startApp({ demo: false });
    expect(csms.config.autoRegister).toBe(false);
    expect(csms.config.publicLive).toBe(false);
    expect(await csms.services.get('idTags').get(SPKLU_DEMO_ID_TAG)).toBeNull();
    expect(await csms.services.get('adminUsers').count()).toBe(0);
    await csms.services.get('chargePointRegistry').register({ id: 'SIM-001', securityProfile: 0 }, 'test');
    const cp = await connect(address.ocppUrl, 'SIM-001');
    await cp.boot();
    expect((await cp.authorize('SIM0011A')).idTagInfo.status).toBe('Invalid');
  });

  it('demo: the demo login works and the driver page with its LAN view is served', async () => {
    const { csms, address } = await startApp();
    expect(await csms.services.get('adminUsers').verify(DEMO_ADMIN.username, DEMO_ADMIN.password)).not.toBeNull();
    expect((await fetch(`${address.url}/driver/live.html`)).status).toBe(200);
    expect(await (await fetch(`${address.url}/driver/config.json`)).json()).toMatchObject({ lan: '../public/v1' });
    const root = await fetch(`${address.url}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toMatch(/\/dashboard\/?$/);
  });

  it('does not warn about its own variables (knownEnv), but still about a typo', async () => {
    const logger = createRecordingLogger();
    const csms = await createSpkluApp({
      databaseUrl: `sqlite:${join(dataDir, 'spklu.db')}`,
      logger,
      env: { CHARGE_IT_SPKLU_DEMO: 'false', CHARGE_IT_DASHBOARD_TIME_ZONE: 'Asia/Makassar', CHARGE_IT_FIREBASE_PATH: 'v1', CHARGE_IT_SPKLU_DEMO_HISTORY_DAYS: '5', CHARGE_IT_AUTO_REGISTR: 'true' },
      ml: { trainOnStart: false },
    });
    open.push(csms);
    const unknown = logger.entries.filter((e) => /unknown|not read|no option/i.test(String(e.msg)));
    const text = JSON.stringify(unknown);
    expect(text).toContain('CHARGE_IT_AUTO_REGISTR');
    expect(text).not.toContain('CHARGE_IT_SPKLU_DEMO');
    expect(text).not.toContain('CHARGE_IT_DASHBOARD_TIME_ZONE');
    expect(text).not.toContain('CHARGE_IT_FIREBASE_PATH');
  });

  it('refuses an unknown idTag (only DEMO-123 is seeded)', async () => {
    const { address } = await startApp();
    const cp = await connect(address.ocppUrl, 'SPKLU-NEW-02');
    await cp.boot();
    expect((await cp.authorize('NOT-A-CARD')).idTagInfo.status).toBe('Invalid');
  });

  it('keeps its data across a restart on the same data dir and does not seed DEMO-123 twice', async () => {
    const first = await startApp();
    const cp1 = await connect(first.address.ocppUrl, 'SPKLU-KEEP-01');
    await cp1.boot();
    const tx1 = await cp1.startTransaction({ idTag: SPKLU_DEMO_ID_TAG, meterStart: 0 });
    await cp1.stopTransaction({ transactionId: tx1.transactionId, meterStop: 10 });
    await cp1.close();
    open.splice(open.indexOf(cp1), 1);
    // An operator decision taken while the app ran must survive the seeding at the next start.
    const em1 = first.csms.orm.em.fork();
    const tag = await em1.findOneOrFail(IdTagSchema, { idTag: SPKLU_DEMO_ID_TAG });
    tag.ownerName = 'kept by the operator';
    await em1.flush();
    await stopApp(first.csms);

    // Auto-registration off: the charger only gets in because its registration was kept.
    const second = await startApp({ autoRegister: false });
    const cp2 = await connect(second.address.ocppUrl, 'SPKLU-KEEP-01');
    expect((await cp2.boot()).status).toBe('Accepted');
    const tx2 = await cp2.startTransaction({ idTag: SPKLU_DEMO_ID_TAG, meterStart: 10 });
    expect(tx2.idTagInfo.status).toBe('Accepted');
    expect(tx2.transactionId).toBeGreaterThan(tx1.transactionId);

    const em2 = second.csms.orm.em.fork();
    expect(await em2.count(IdTagSchema, {})).toBe(2); // DEMO-123 and the demo PN532 card, each once
    expect((await em2.findOneOrFail(IdTagSchema, { idTag: SPKLU_DEMO_ID_TAG })).ownerName).toBe('kept by the operator');
    expect(await em2.findOne(TransactionSchema, { id: tx1.transactionId })).not.toBeNull();
  });
});
