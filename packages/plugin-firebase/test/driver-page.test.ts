/**
 * The driver page in headless Chromium (phone viewport): a session started by a fake charge point
 * shows up live — power and energy change without a reload — from firebase-server, and again with
 * Firebase unreachable through the core's public LAN view (SSE). Screenshots in test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeChargePoint, TestCsms } from '@charge-it/core/testing';
import { driverPageDir, firebaseMirror } from '../src/index.js';
import { startFirebaseServer, type TestFirebaseServer } from './helpers/firebase-server.js';
import { ID_TAG, connectCharger, meter, startCsms } from './helpers/station.js';

const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const PHONE = { width: 390, height: 844 };

let fb: TestFirebaseServer;
let csms: TestCsms;
let cp: FakeChargePoint;
let context: BrowserContext;
let profile: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(driverPageDir(), 'live.js'))) throw new Error(`the driver page is not built in ${driverPageDir()}: run npm run build -w @charge-it/plugin-firebase first`);
  mkdirSync(artifacts, { recursive: true });
  fb = await startFirebaseServer();
  csms = await startCsms([firebaseMirror({ databaseURL: fb.databaseURL, throttleMs: 200 })], { publicLive: true });
  cp = await connectCharger(csms);
  profile = mkdtempSync(join(tmpdir(), 'charge-it-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: PHONE,
    deviceScaleFactor: 2,
    locale: 'id-ID',
    isMobile: true,
    hasTouch: true,
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await cp?.close().catch(() => {});
  await csms?.close();
  await fb?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function open(path: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${csms.url}${path}`);
  return page;
}

const text = (page: Page, sel: string) => page.locator(sel).innerText();

async function waitText(page: Page, sel: string, accept: (t: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await page.locator(sel).innerText().catch(() => '');
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in ${sel}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Each wait below has its own deadline (20 s unless given) and says what it waited for; the test
// timeout is set well above them so a slow wait fails with that message, not with a bare timeout.
describe('driver page', { timeout: 90_000 }, () => {
  let transactionId = 0;

  it('shows a live session from Firebase, updating without a reload', async () => {
    const page = await open('/driver/live.html?cp=CP-1&c=1');
    await waitText(page, '#status-text', (t) => t === 'Tersedia', 'Available in Bahasa Indonesia');
    expect(await text(page, '#source')).toContain('internet');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));

    ({ transactionId } = await cp.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 1_000 }));
    await cp.status(1, 'Charging');
    await meter(cp, transactionId, 2_234, 7_200);
    await waitText(page, '#status-text', (t) => t === 'Mengisi daya', 'Charging');
    await waitText(page, '#power', (t) => t === '7,2', 'power 7,2 kW');
    expect(await text(page, '#energy')).toBe('1,23');
    expect(await text(page, '#card')).toBe('DEMO••23');
    expect(await page.locator('#soc-box').isVisible()).toBe(false); // no SoC sampled
    expect(await text(page, '#cost')).toMatch(/^Rp\s[\d.]+$/);
    const cost1 = await text(page, '#cost');
    await page.screenshot({ path: join(artifacts, 'live-firebase-id-390x844.png'), fullPage: true });

    await meter(cp, transactionId, 4_500, 11_050);
    await waitText(page, '#power', (t) => t === '11,1', 'power 11,1 kW');
    await waitText(page, '#energy', (t) => t === '3,50', 'energy 3,50 kWh');
    expect(await text(page, '#cost')).not.toBe(cost1);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42); // same page, no reload
    expect(await text(page, '#source')).toContain('internet');

    // A page opened later, with no new sample meanwhile, still shows the whole duration (the value in
    // Firebase is as of the last write).
    const startedAt = Date.parse(csms.csms.services.get('live').connector('CP-1', 1)!.session!.startedAt);
    const written = (await fb.valueAt('/v1/stations/CP-1/connectors/1')).session.durationS as number;
    // Let the written value grow old: a few seconds without a sample.
    while (Date.now() - startedAt < (written + 4) * 1000) await new Promise((r) => setTimeout(r, 200));
    const late = await open('/driver/live.html?cp=CP-1&c=1');
    await waitText(late, '#power', (t) => t === '11,1', 'late page shows the session');
    const atLeast = Math.floor((Date.now() - startedAt) / 1000) - 1;
    const [h, m, sec] = (await text(late, '#duration')).split(':').map(Number);
    expect(h! * 3600 + m! * 60 + sec!).toBeGreaterThanOrEqual(atLeast);
    await late.close();

    // The switch: English, remembered.
    await page.click('#lang');
    await waitText(page, '#status-text', (t) => t === 'Charging', 'English');
    expect(await text(page, '#power')).toBe('11.1');
    await page.screenshot({ path: join(artifacts, 'live-firebase-en-390x844.png'), fullPage: true });
    await page.click('#lang');
    await page.close();
  });

  it('shows the station page with a QR code per connector', async () => {
    await cp.status(2, 'Available'); // a second connector, so the page lists two
    const page = await open('/driver/?station=CP-1');
    const cards = page.locator('.qr-card');
    const deadline = Date.now() + 30_000;
    while ((await cards.count()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await cards.count()).toBe(2);
    await page.waitForSelector('.qr-card:nth-child(2) .qr svg path', { timeout: 30_000 });
    expect(await page.locator('.qr-card a.open').nth(0).getAttribute('href')).toBe(`${csms.url}/driver/live.html?cp=CP-1&c=1`);
    expect(await page.locator('.qr-card a.open').nth(1).getAttribute('href')).toBe(`${csms.url}/driver/live.html?cp=CP-1&c=2`);
    expect(await page.locator('.qr-card h2').allInnerTexts()).toEqual(['Konektor 1', 'Konektor 2']);
    await waitText(page, '.qr-card:nth-child(2) .status', (t) => t === 'Tersedia', 'connector 2 Available');
    const status = csms.csms.services.get('live').connector('CP-1', 1)!.status!;
    const inBahasa: Record<string, string> = { Available: 'Tersedia', Charging: 'Mengisi daya' };
    await waitText(page, '.qr-card:nth-child(1) .status', (t) => t === inBahasa[status], `status ${status}`);
    await page.screenshot({ path: join(artifacts, 'station-390x844.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(artifacts, 'station-1280x800.png'), fullPage: true });
    // Printed: only the codes, no buttons.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#print').isVisible()).toBe(false);
    expect(await page.locator('.qr svg').first().isVisible()).toBe(true);
    await page.screenshot({ path: join(artifacts, 'station-print-1280x800.png'), fullPage: true });
    await page.close();
  });

  it('falls back to the LAN view when Firebase is unreachable, still live', async () => {
    await fb.stop();
    const page = await open('/driver/live.html?cp=CP-1&c=1');
    await waitText(page, '#source', (t) => t.includes('jaringan stasiun'), 'LAN source', 40_000);
    await waitText(page, '#power', (t) => t === '11,1', 'power from the LAN view');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 7));

    await meter(cp, transactionId, 6_000, 3_700);
    await waitText(page, '#power', (t) => t === '3,7', 'power 3,7 kW over SSE');
    await waitText(page, '#energy', (t) => t === '5,00', 'energy 5,00 kWh over SSE');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(7);
    await page.screenshot({ path: join(artifacts, 'live-lan-id-390x844.png'), fullPage: true });

    await cp.stopTransaction({ transactionId, meterStop: 6_500, reason: 'Local' });
    await cp.status(1, 'Finishing');
    await waitText(page, '#status-text', (t) => t === 'Menyelesaikan', 'Finishing');
    await waitText(page, '#last-energy', (t) => t === '5,50 kWh', 'last session energy');
    await page.screenshot({ path: join(artifacts, 'live-lan-finished-390x844.png'), fullPage: true });
    await page.close();
  });

  it('reads the LAN view at once when Firebase is not configured', async () => {
    const lanOnly = await startCsms([firebaseMirror({ env: {} })], { publicLive: true });
    const other = await connectCharger(lanOnly);
    try {
      const config = await (await fetch(`${lanOnly.url}/driver/config.json`)).json();
      expect(config).toMatchObject({ firebase: null, lan: '../public/v1', root: 'v1' });
      const page = await context.newPage();
      await page.goto(`${lanOnly.url}/driver/live.html?cp=CP-1&c=1&lang=en`);
      await waitText(page, '#status-text', (t) => t === 'Available', 'Available over the LAN');
      expect(await text(page, '#source')).toContain('station network');
      expect(await text(page, '#hint')).toMatch(/tap your card/);
      const { transactionId: tx } = await other.startTransaction({ connectorId: 1, idTag: ID_TAG, meterStart: 0 });
      await other.status(1, 'Charging');
      await meter(other, tx, 800, 22_000, 1, 56);
      await waitText(page, '#power', (t) => t === '22.0', 'power 22.0 kW');
      expect(await text(page, '#energy')).toBe('0.80');
      expect(await text(page, '#soc')).toBe('56');
      await page.screenshot({ path: join(artifacts, 'live-lan-only-en-390x844.png'), fullPage: true });
      await page.close();
    } finally {
      await other.close().catch(() => {});
      await lanOnly.close();
    }
  });

  it('says the live view is not set up when neither Firebase nor the LAN view is on', async () => {
    const { createRecordingLogger } = await import('@charge-it/core/testing');
    const logger = createRecordingLogger();
    const bare = await startCsms([firebaseMirror({ env: {} })], { logger });
    try {
      expect(logger.filter((e) => /driver page at \/driver\/ has no data source/.test(e.msg))).toHaveLength(1);
      const page = await context.newPage();
      await page.goto(`${bare.url}/driver/live.html?cp=CP-1&c=1&lang=en`, { timeout: 20_000 });
      await waitText(page, '#notice', (t) => t.includes('not set up'), 'not set up notice');
      await page.close();
    } finally {
      await bare.close();
    }
  });

  it('says so when the connector is not known', async () => {
    const page = await open('/driver/live.html?cp=CP-404&c=1');
    await waitText(page, '#notice', (t) => t.includes('tidak dikenal'), 'not found notice', 40_000);
    await page.screenshot({ path: join(artifacts, 'live-unknown-390x844.png'), fullPage: true });
    await page.close();
  });

  it('logged no script errors', () => {
    // Failed websocket attempts while Firebase is down are network noise, not script errors.
    expect(consoleErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|404|net::/.test(e))).toEqual([]);
  });
});
