/**
 * The whole station, end to end, over real sockets on 127.0.0.1: the SPKLU app (core + dashboard +
 * ML + Firebase mirror) on a real database, a charge point from the edge runtime whose PN532 reader
 * polls the byte-level PN532 emulator, firebase-server as the Realtime Database, and headless
 * Chromium for the dashboard and the driver page. A tap starts a session, the dashboard and the
 * driver page show it live (through Firebase, and with Firebase off through the LAN view), the same
 * tap stops it, and the transaction with its cost is in the database and on the Transactions page.
 * On MariaDB too when CHARGE_IT_TEST_MARIADB_URL is set. Screenshots in test-artifacts/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Csms } from '@charge-it/core';
import type { Logger } from '@charge-it/edge-runtime';
import type { Pn532CardEvent } from '@charge-it/plugin-rfid-pn532';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpkluApp, DEMO_ADMIN, SPKLU_DEMO_CARD_UID, type SpkluAppOptions } from '../src/index.js';
import { startPn532ChargePoint, type Pn532ChargePoint } from '../src/demo/pn532-charge-point.js';
import { testDatabases, type TestDatabase } from '@charge-it/core/testing';
import { startFirebaseServer, type TestFirebaseServer } from './support/firebase-server.js';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const CP_ID = 'PI-E2E';

async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const textOf = (page: Page, selector: string) => page.locator(selector).innerText().catch(() => '');

interface Station {
  csms: Csms;
  url: string;
  cp: Pn532ChargePoint;
  taps: Pn532CardEvent[];
  close(): Promise<void>;
}

/** The app as `npm start` builds it (demo configuration, no demo fleet), and the Pi's charge point. */
async function startStation(databaseUrl: string, dataDir: string, options: SpkluAppOptions = {}): Promise<Station> {
  const csms = await createSpkluApp({
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    env: {},
    logLevel: 'warn',
    ml: { trainOnStart: false, intervalMinutes: 0 },
    live: { coalesceMs: 200 },
    ...options,
  });
  const address = await csms.listen();
  const taps: Pn532CardEvent[] = [];
  const cp = await startPn532ChargePoint({
    csmsUrl: `ws://127.0.0.1:${address.port}/ocpp`,
    identity: CP_ID,
    dataDir,
    meterIntervalS: 2,
    log: (csms.log as unknown as { child(b: object, o: object): Logger }).child({ component: 'pi' }, { level: 'warn' }),
    onCard: (e) => void taps.push(e),
  });
  return {
    csms,
    url: address.url,
    cp,
    taps,
    async close() {
      await cp.stop();
      await csms.close();
    },
  };
}

const transactions = async (csms: Csms) =>
  (await csms.services.get('queries').transactions({ chargePointId: CP_ID, sort: 'id', order: 'asc' })).items;

async function tapAndWait(station: Station, expected: 'started' | 'stopped'): Promise<void> {
  const before = station.taps.length;
  await station.cp.tap(SPKLU_DEMO_CARD_UID);
  const event = await until(() => station.taps[before], `the outcome of the tap (${expected})`);
  expect(event.outcome.result, JSON.stringify(event.outcome)).toBe(expected);
}

let context: BrowserContext;
let profile: string;
let fb: TestFirebaseServer;
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  fb = await startFirebaseServer();
  profile = await mkdtemp(join(tmpdir(), 'spklu-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: DESKTOP,
    locale: 'en-GB',
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await fb?.stop();
  if (profile) await rm(profile, { recursive: true, force: true });
});

async function openPage(url: string, viewport = DESKTOP): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(url);
  return page;
}

async function signIn(base: string): Promise<Page> {
  const page = await openPage(`${base}/dashboard/login?lang=en`);
  await page.fill('input[name=username]', DEMO_ADMIN.username);
  await page.fill('input[name=password]', DEMO_ADMIN.password);
  await Promise.all([page.waitForURL(`${base}/dashboard/`), page.click('button[type=submit]')]);
  await page.waitForSelector('#live-indicator[data-state="open"]', { timeout: 30_000 });
  return page;
}

for (const kind of testDatabases()) {
  describe(`the SPKLU station on ${kind.name}`, () => {
    let db: TestDatabase;
    let dataDir: string;

    beforeAll(async () => {
      db = await kind.create();
      dataDir = await mkdtemp(join(tmpdir(), `spklu-e2e-edge-${kind.name}-`));
    });

    afterAll(async () => {
      await db?.dispose();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('a PN532 tap starts a session shown live on the dashboard and the driver page (Firebase); the same tap stops it; the cost is stored and listed', async () => {
      const station = await startStation(db.databaseUrl, dataDir, { firebase: { databaseURL: fb.databaseURL, throttleMs: 200 } });
      try {
        const live = station.csms.services.get('live');
        await until(() => live.connector(CP_ID, 1)?.status === 'Available', 'the Pi connector Available in the live state');

        const dashboard = await signIn(station.url);
        await dashboard.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
        const driver = await openPage(`${station.url}/driver/live.html?cp=${CP_ID}&c=1&lang=en`, PHONE);
        await until(async () => (await textOf(driver, '#status-text')) === 'Available', 'driver page: Available');
        expect(await textOf(driver, '#source')).toContain('internet');

        // Tap: the card starts charging at once (cable "always", as on the station's socket outlet).
        await tapAndWait(station, 'started');
        const [active] = await until(async () => {
          const rows = await transactions(station.csms);
          return rows.length === 1 && rows[0]!.status === 'Active' ? rows : null;
        }, 'the Active transaction row');
        expect(active).toMatchObject({ chargePointId: CP_ID, connectorId: 1, idTag: SPKLU_DEMO_CARD_UID });

        // Dashboard: the running session appears and its energy grows, without a reload.
        const row = dashboard.locator(`tr[data-transaction-id="${active!.id}"]`);
        await row.waitFor({ timeout: 30_000 });
        const firstEnergy = await row.locator('[data-field=energy]').innerText();
        await until(async () => (await row.locator('[data-field=energy]').innerText()) !== firstEnergy, 'dashboard energy changes live');
        expect(await dashboard.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
        await dashboard.screenshot({ path: join(ARTIFACTS, `e2e-${kind.name}-dashboard-live-desktop.png`), fullPage: true });

        // Driver page through Firebase: charging, energy growing, the card masked.
        await until(async () => (await textOf(driver, '#status-text')) === 'Charging', 'driver page: Charging');
        const driverEnergy = await textOf(driver, '#energy');
        await until(async () => (await textOf(driver, '#energy')) !== driverEnergy, 'driver page energy changes live');
        expect(await textOf(driver, '#source')).toContain('internet');
        expect(await textOf(driver, '#card')).not.toContain(SPKLU_DEMO_CARD_UID);
        const mirrored = await fb.valueAt(`/v1/stations/${CP_ID}/connectors/1`);
        expect(mirrored.session.transactionId).toBe(active!.id);
        await driver.screenshot({ path: join(ARTIFACTS, `e2e-${kind.name}-driver-firebase-phone.png`), fullPage: true });

        // The same card again stops it.
        await tapAndWait(station, 'stopped');
        const [done] = await until(async () => {
          const rows = await transactions(station.csms);
          return rows[0]?.status === 'Completed' ? rows : null;
        }, 'the Completed transaction');
        expect(done).toMatchObject({ id: active!.id, stopReason: 'Local' });
        expect(done!.energyWh).toBeGreaterThan(0);
        expect(done!.cost).toBeGreaterThan(0);
        await until(async () => (await row.count()) === 0, 'the session leaves the dashboard');
        await until(async () => (await textOf(driver, '#status-text')) === 'Available', 'driver page: Available again');
        await until(async () => (await textOf(driver, '#last-energy')).includes('kWh'), 'driver page: last session summary');

        // The Transactions page lists it with its cost.
        await dashboard.goto(`${station.url}/dashboard/transactions`);
        const listed = dashboard.locator('tbody tr', { hasText: CP_ID });
        await listed.first().waitFor({ timeout: 30_000 });
        const rowText = await listed.first().innerText();
        const shownCost = Math.round(done!.cost!).toLocaleString('en-GB');
        expect(rowText).toContain(shownCost);
        await dashboard.screenshot({ path: join(ARTIFACTS, `e2e-${kind.name}-transactions-desktop.png`), fullPage: true });
        await dashboard.setViewportSize(PHONE);
        await dashboard.screenshot({ path: join(ARTIFACTS, `e2e-${kind.name}-transactions-phone.png`), fullPage: true });
        await dashboard.close();
        await driver.close();
      } finally {
        await station.close();
      }
    }, 180_000);

    it('with Firebase off the driver page follows the session through the LAN view', async () => {
      const station = await startStation(db.databaseUrl, dataDir, { firebase: {} });
      try {
        expect(station.csms.services.get('firebaseMirror').state).toBe('off');
        const driver = await openPage(`${station.url}/driver/live.html?cp=${CP_ID}&c=1&lang=en`, PHONE);
        await until(async () => (await textOf(driver, '#status-text')) === 'Available', 'driver page: Available over the LAN');
        expect(await textOf(driver, '#source')).toContain('station network');

        await tapAndWait(station, 'started');
        await until(async () => (await textOf(driver, '#status-text')) === 'Charging', 'driver page: Charging over the LAN');
        const energy = await textOf(driver, '#energy');
        await until(async () => (await textOf(driver, '#energy')) !== energy, 'driver page energy changes over the LAN');
        await driver.screenshot({ path: join(ARTIFACTS, `e2e-${kind.name}-driver-lan-phone.png`), fullPage: true });

        await tapAndWait(station, 'stopped');
        const rows = await until(async () => {
          const all = await transactions(station.csms);
          return all.length === 2 && all[1]!.status === 'Completed' ? all : null;
        }, 'the second session Completed');
        expect(rows[1]!.cost).toBeGreaterThan(0);
        await until(async () => (await textOf(driver, '#status-text')) === 'Available', 'driver page: Available again over the LAN');
        await driver.close();
        expect(pageErrors).toEqual([]);
      } finally {
        await station.close();
      }
    }, 120_000);
  });
}
