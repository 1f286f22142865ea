import { ml, seedSyntheticHistory } from '@charge-it/plugin-ml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ADMIN, startHarness, type Client, type Harness } from './support/harness.js';
import { ARTIFACTS, launchBrowser, login, VIEWPORTS, watchPage } from './support/browser.js';

describe('AI Insights with the ML plugin installed', () => {
  let h: Harness;
  let admin: Client;

  beforeAll(async () => {
    h = await startHarness({ plugins: [ml({ trainOnStart: false, intervalMinutes: 0, timeZone: 'Asia/Jakarta' })] });
    admin = await h.login();
    await admin.post('/dashboard/preferences/locale', { locale: 'en', return: '/' });
  });
  afterAll(() => h?.close());

  it('says plainly when there is too little data, and shows no invented numbers', async () => {
    await h.t.csms.services.get('ml').train('test');
    const res = await admin.get('/dashboard/insights');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Not enough data yet');
    expect(res.body).not.toContain('baseline (');
    expect(res.body).not.toContain('data-chart="forecast"');
    const json = (await admin.get('/dashboard/insights/forecast.json')).json() as { x: number[] };
    expect(json.x).toEqual([]);
  });

  it('shows each model’s result with its metric against the naive baseline once there is history', async () => {
    await seedSyntheticHistory(h.t.csms, { days: 60, seed: 7 });
    const status = await h.t.csms.services.get('ml').train('test');
    expect(status.lastRun?.status).toBe('ok');
    const res = await admin.get('/dashboard/insights');
    expect(res.statusCode).toBe(200);
    const forecast = h.t.csms.services.get('ml').forecast({ hours: 48 });
    expect(forecast.status).toBe('ok');
    if (forecast.status !== 'ok') return;
    // The metric shown is the model's own, next to its baseline.
    expect(res.body).toContain(`${forecast.metric.name}: <b>`);
    expect(res.body).toContain(`baseline (${forecast.metric.baseline!.name})`);
    expect(res.body).toContain('synthetic demo data');
    expect(res.body).toContain('data-chart="forecast"');
    expect(res.body).toContain('class="heat"');
    expect(res.body).toMatch(/Driver segments[\s\S]*<strong>/);
    const json = (await admin.get('/dashboard/insights/forecast.json')).json() as { x: number[]; forecastKw: (number | null)[] };
    expect(json.forecastKw.filter((v) => v !== null)).toHaveLength(forecast.result.points.length);
  }, 120_000);

  it('renders the insights in Chromium (charts drawn, no script errors) and saves screenshots', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const seen = watchPage(page);
      await login(page, h.t.url, ADMIN.username, ADMIN.password);
      for (const [size, viewport] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(viewport);
        await page.goto(`${h.t.url}/dashboard/insights`);
        await page.waitForSelector('[data-chart="forecast"] .uplot', { timeout: 30_000 });
        await page.screenshot({ path: join(ARTIFACTS, `insights-ml-${size}.png`), fullPage: size === 'desktop' });
      }
      expect(seen.errors).toEqual([]);
      expect(seen.cspViolations).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
