import { FakeChargePoint } from '@charge-it/core/testing';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStreams } from '../src/live/live-stream.js';
import { ADMIN, startHarness, type Harness } from './support/harness.js';
import { ARTIFACTS, eventually, launchBrowser, login, VIEWPORTS, watchPage } from './support/browser.js';

const HOSTILE_TAG = '<svg/onload=alert``>'; // 20 characters: the longest idTag OCPP allows
const HOSTILE_INFO = '<img src=x onerror=alert(document.domain)>';
const HOSTILE_FW = '<script>alert(1)</script>';

describe('the dashboard in headless Chromium', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let seen: ReturnType<typeof watchPage>;
  let cp1: FakeChargePoint;
  let cp2: FakeChargePoint;
  const profiles: { at: number; request: any }[] = [];
  let base = '';
  let txId = 0;

  beforeAll(async () => {
    h = await startHarness({ csms: { chargePoints: ['CP-1', 'CP-2'], idTags: { 'DEMO-123': 'Accepted', [HOSTILE_TAG]: 'Accepted' } } });
    base = h.t.url;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    seen = watchPage(page);
    const mk = (id: string) => {
      const cp = new FakeChargePoint({ url: h.t.ocppUrlFor(id), identity: id });
      cp.handle('Reset', () => ({ status: 'Accepted' }));
      cp.handle('SetChargingProfile', (request) => {
        profiles.push({ at: Date.now(), request });
        return { status: 'Accepted' };
      });
      cp.handle('ClearChargingProfile', () => ({ status: 'Accepted' }));
      cp.handle('ChangeAvailability', () => ({ status: 'Accepted' }));
      cp.handle('GetConfiguration', () => ({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] }));
      return cp;
    };
    cp1 = mk('CP-1');
    cp2 = mk('CP-2');
    await cp1.connect();
    await cp1.boot({ chargePointVendor: 'Wallbox', chargePointModel: 'Pulsar Plus', firmwareVersion: '5.17.0' });
    await cp1.status(1, 'Available');
    await cp1.status(2, 'Available');
    await cp2.connect();
    await cp2.boot({ chargePointVendor: 'ABB', chargePointModel: 'Terra AC', firmwareVersion: HOSTILE_FW });
    await cp2.status(1, 'Available');
  }, 60_000);

  afterAll(async () => {
    await cp1?.close().catch(() => undefined);
    await cp2?.close().catch(() => undefined);
    await browser?.close();
    await h?.close();
  });

  it('signs in and shows a session started by a charge point, with power and energy changing, without a reload', async () => {
    await login(page, base, ADMIN.username, ADMIN.password);
    await page.waitForSelector('#live-indicator[data-state="open"]', { timeout: 20_000 });
    await page.evaluate(() => ((window as unknown as { __sameDocument: number }).__sameDocument = 42));
    const started = await cp1.startTransaction({ connectorId: 1, idTag: 'DEMO-123', meterStart: 10_000 });
    txId = started.transactionId;
    await cp1.status(1, 'Charging');
    const sample = (energyWh: number, powerW: number) =>
      cp1.meterValues({ connectorId: 1, transactionId: txId, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
        { value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' }, { value: String(powerW), measurand: 'Power.Active.Import', unit: 'W' }] }] });
    await sample(10_500, 7200);
    const row = page.locator(`tr[data-transaction-id="${txId}"]`);
    await row.waitFor({ timeout: 20_000 });
    await eventually(async () => (await row.locator('[data-field=power]').textContent())?.includes('7.2 kW') ?? false, 'power 7.2 kW');
    await eventually(async () => (await row.locator('[data-field=energy]').textContent())?.includes('0.50 kWh') ?? false, 'energy 0.50 kWh');
    await sample(12_000, 11_000);
    await eventually(async () => (await row.locator('[data-field=power]').textContent())?.includes('11.0 kW') ?? false, 'power 11.0 kW');
    await eventually(async () => (await row.locator('[data-field=energy]').textContent())?.includes('2.00 kWh') ?? false, 'energy 2.00 kWh');
    await eventually(async () => (await page.locator('#kpi-power').textContent())?.includes('11.0 kW') ?? false, 'site power KPI');
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: number }).__sameDocument)).toBe(42); // no reload happened
    // the chart exists and was drawn by uPlot
    await page.waitForSelector('#site-power-chart .uplot', { timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live-desktop.png'), fullPage: true });
  });

  it('shows a lost connection and recovers by itself', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { __banner: boolean[] };
      w.__banner = [];
      const banner = document.getElementById('connection-banner')!;
      new MutationObserver(() => w.__banner.push(!banner.hidden)).observe(banner, { attributes: true, attributeFilter: ['hidden'] });
    });
    closeAllStreams(); // the server drops every event stream, as a restart or a broken network would
    await eventually(async () => (await page.evaluate(() => (window as unknown as { __banner: boolean[] }).__banner.includes(true))), 'banner shown');
    await eventually(async () => (await page.locator('#live-indicator').getAttribute('data-state')) === 'open' && !(await page.locator('#connection-banner').isVisible()), 'reconnected', 30_000);
    // and live updates flow again
    await cp1.meterValues({ connectorId: 1, transactionId: txId, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [
      { value: '12500', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }, { value: '9000', measurand: 'Power.Active.Import', unit: 'W' }] }] });
    await eventually(async () => (await page.locator(`tr[data-transaction-id="${txId}"] [data-field=power]`).textContent())?.includes('9.0 kW') ?? false, 'power 9.0 kW after reconnect');
  });

  it('sends an operator command and shows the charger’s answer', async () => {
    await page.goto(`${base}/dashboard/stations/CP-1`);
    await page.selectOption('#cmd-reset select[name=type]', 'Soft');
    await page.click('#cmd-reset button[type=submit]');
    const result = page.locator('#cmd-reset .result-box');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getAttribute('data-status'), (await result.textContent()) ?? '').toBe('Accepted');
    await page.click('#config-panel ~ * button, .card-head button:has-text("GetConfiguration")');
    await page.waitForSelector('#config-panel td.mono:has-text("HeartbeatInterval")', { timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'station-detail-command-desktop.png'), fullPage: true });
  });

  it('a charge point that connects shows up on the Stations page, live', async () => {
    await page.goto(`${base}/dashboard/stations`);
    await page.waitForSelector('#live-indicator[data-state="open"]', { timeout: 20_000 });
    await h.t.csms.services.get('chargePointRegistry').register({ id: 'CP-9', securityProfile: 0 }, 'test');
    const cp9 = new FakeChargePoint({ url: h.t.ocppUrlFor('CP-9'), identity: 'CP-9' });
    await cp9.connect();
    await cp9.boot({ chargePointVendor: 'Schneider', chargePointModel: 'EVlink' });
    await cp9.status(1, 'Available');
    const row = page.locator(`tr#cp-${Buffer.from('CP-9').toString('hex')}`);
    await row.waitFor({ timeout: 20_000 });
    await eventually(async () => (await row.textContent())?.includes('#1 Available') ?? false, 'CP-9 connector shown');
    await cp9.close();
    await eventually(async () => (await row.textContent())?.includes('Offline') ?? false, 'CP-9 offline');
  });

  it('a changed tariff prices the next session', async () => {
    await page.goto(`${base}/dashboard/settings`);
    await page.fill('#tariff-form input[name=energyPricePerKwh]', '5000');
    await page.fill('#tariff-form input[name=pricePerMinute]', '0');
    await page.fill('#tariff-form input[name=idleFeePerMinute]', '0');
    await page.fill('#tariff-form input[name=taxPercent]', '10');
    await page.click('#tariff-form button[type=submit]');
    await page.locator('#tariff-form .result-box.ok').waitFor({ timeout: 20_000 });
    const s = await cp2.startTransaction({ connectorId: 1, idTag: 'DEMO-123', meterStart: 0 });
    await cp2.stopTransaction({ transactionId: s.transactionId, meterStop: 2000, reason: 'Local' });
    await h.t.csms.drain();
    const tx = await h.t.csms.services.get('queries').transaction(s.transactionId);
    expect(tx!.cost).toBe(11_000); // 2 kWh × 5,000 + 10 % PPN
    await page.goto(`${base}/dashboard/transactions/${s.transactionId}`);
    const total = await page.locator('table.breakdown tr.total td:last-child').textContent();
    expect(total?.replace(/\s/g, ' ')).toContain('11,000');
  });

  it('a grid limit set in the dashboard reaches the charger as a charging profile', async () => {
    const before = profiles.length;
    await page.goto(`${base}/dashboard/settings`);
    await page.fill('#site-form input[name=maxGridPowerKw]', '4');
    await page.click('#site-form button[type=submit]');
    await page.locator('#site-form .result-box.ok').waitFor({ timeout: 20_000 });
    await eventually(() => profiles.length > before, 'SetChargingProfile after the new limit', 30_000);
    const sent = profiles.at(-1)!.request;
    const period = sent.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0];
    const unit = sent.csChargingProfiles.chargingSchedule.chargingRateUnit;
    const watts = unit === 'W' ? period.limit : period.limit * 230 * (period.numberPhases ?? 3);
    expect(watts).toBeLessThanOrEqual(4000 + 1);
  });

  it('a card added and then blocked in the dashboard decides Authorize', async () => {
    await page.goto(`${base}/dashboard/settings/cards`);
    await page.fill('#add-card-form input[name=idTag]', 'NEW-CARD-7');
    await page.fill('#add-card-form input[name=ownerName]', 'Dewi');
    await page.click('#add-card-form button[type=submit]');
    await page.locator('#add-card-form .result-box.ok').waitFor({ timeout: 20_000 });
    expect((await cp1.authorize('NEW-CARD-7')).idTagInfo.status).toBe('Accepted');
    await page.goto(`${base}/dashboard/settings/cards?search=NEW-CARD-7`);
    await page.click('tr:has-text("NEW-CARD-7") button:has-text("Block")');
    await page.locator('tr:has-text("NEW-CARD-7") .pill:has-text("Blocked")').waitFor({ timeout: 20_000 });
    expect((await cp1.authorize('NEW-CARD-7')).idTagInfo.status).toBe('Blocked');
    // the refused card shows in the Dashboard's event feed
    await page.goto(`${base}/dashboard/`);
    await page.locator('#feed-list li:has-text("NEW-CARD-7")').waitFor({ timeout: 20_000 });
  });

  it('hostile idTags, info and firmware strings never run as script, and the CSP holds', async () => {
    await cp2.call('StatusNotification', { connectorId: 1, status: 'Faulted', errorCode: 'OtherError', info: HOSTILE_INFO, vendorErrorCode: HOSTILE_TAG, timestamp: new Date().toISOString() });
    const s = await cp1.startTransaction({ connectorId: 2, idTag: HOSTILE_TAG, meterStart: 0 });
    await h.t.csms.drain();
    const urls = ['/dashboard/', '/dashboard/stations', '/dashboard/stations/CP-2', '/dashboard/transactions', `/dashboard/transactions/${s.transactionId}`, '/dashboard/settings/cards', '/dashboard/audit'];
    for (const url of urls) {
      const res = await page.goto(`${base}${url}`);
      expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForLoadState('networkidle').catch(() => undefined);
      expect(await page.locator('img[src="x"], svg[onload]').count(), url).toBe(0);
    }
    await page.goto(`${base}/dashboard/stations/CP-2`);
    expect(await page.getByText(HOSTILE_INFO).count()).toBeGreaterThan(0); // shown as text
    // The CSP blocks an inline script even if one got into the page.
    const ran = await page.evaluate(() => {
      const el = document.createElement('script');
      el.textContent = 'window.__inlineRan = true';
      document.body.appendChild(el);
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    expect(seen.dialogs).toEqual([]);
    expect(seen.cspViolations.length).toBeGreaterThan(0); // the blocked inline script above, nothing else expected
    expect(seen.cspViolations.every((v) => /inline|script-src/i.test(v))).toBe(true);
    expect(seen.errors).toEqual([]);
  });

  it('registers a charge point: the key is shown once with a QR code made on the server', async () => {
    await page.goto(`${base}/dashboard/stations/new`);
    await page.fill('input[name=id]', 'CP-QR-1');
    await page.selectOption('select[name=securityProfile]', '1');
    await page.fill('input[name=maxPowerKw]', '22');
    await page.fill('input[name=description]', 'Parkir depan, slot 3');
    await Promise.all([page.waitForURL(`${base}/dashboard/stations`), page.click('main form[action$="/stations"] button[type=submit]')]);
    await page.waitForSelector('.qr svg', { timeout: 20_000 });
    const key = (await page.locator('#auth-key').textContent())!.trim();
    expect(key.length).toBeGreaterThan(20);
    await page.screenshot({ path: join(ARTIFACTS, 'register-done-desktop.png'), fullPage: true });
    const cp = new FakeChargePoint({ url: h.t.ocppUrlFor('CP-QR-1'), identity: 'CP-QR-1', password: key });
    await cp.connect();
    expect((await cp.boot()).status).toBe('Accepted');
    await cp.close();
    // shown once: the station page never shows the key again
    await page.goto(`${base}/dashboard/stations/CP-QR-1`);
    expect(await page.content()).not.toContain(key);
  });

  it('saves a screenshot of every view at desktop, tablet and phone size', async () => {
    const views: [string, string][] = [
      ['dashboard', '/dashboard/'], ['stations', '/dashboard/stations'], ['station-detail', '/dashboard/stations/CP-1'], ['register', '/dashboard/stations/new'],
      ['transactions', '/dashboard/transactions'], ['transaction-detail', `/dashboard/transactions/${txId}`], ['insights', '/dashboard/insights'],
      ['settings', '/dashboard/settings'], ['settings-cards', '/dashboard/settings/cards'], ['settings-users', '/dashboard/settings/users'], ['settings-api-keys', '/dashboard/settings/api-keys'], ['audit', '/dashboard/audit'],
    ];
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      for (const [name, url] of views) {
        await page.goto(`${base}${url}`);
        if (await page.locator('[data-chart]').count()) await page.waitForSelector('[data-chart] .uplot', { timeout: 20_000 }).catch(() => undefined);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-${size}.png`), fullPage: size !== 'desktop' ? false : true });
      }
    }
    // Bahasa Indonesia, chosen in the sidebar: the same page in the other language.
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.goto(`${base}/dashboard/transactions/${txId}`);
    await Promise.all([page.waitForURL(`${base}/dashboard/transactions/${txId}`), page.click('.lang-form button[value=id]')]);
    expect(await page.locator('html').getAttribute('lang')).toBe('id');
    expect(await page.locator('h2:has-text("Rincian biaya")').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'transaction-detail-id-desktop.png'), fullPage: true });
    await page.goto(`${base}/dashboard/`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-id-desktop.png'), fullPage: true });
    const fresh = await browser.context.newPage();
    await fresh.setViewportSize(VIEWPORTS.phone);
    await fresh.context().clearCookies();
    await fresh.goto(`${base}/dashboard/login`);
    await fresh.screenshot({ path: join(ARTIFACTS, 'login-phone.png') });
    await fresh.close();
    expect(seen.errors).toEqual([]);
  }, 120_000);

  it('a page left open goes to the login page when its session ends elsewhere (logout in another tab)', async () => {
    await page.setViewportSize(VIEWPORTS.desktop);
    await login(page, base, ADMIN.username, ADMIN.password); // the screenshot step cleared the cookies
    await page.goto(`${base}/dashboard/stations`);
    await page.waitForSelector('#live-indicator[data-state="open"]', { timeout: 20_000 });
    const other = await browser.context.newPage();
    await other.goto(`${base}/dashboard/settings`);
    await Promise.all([other.waitForURL(/\/dashboard\/login/), other.click('form[action$="/logout"] button')]);
    await other.close();
    await page.waitForURL(/\/dashboard\/login\?next=%2Fdashboard%2Fstations/, { timeout: 30_000 });
  });
});
