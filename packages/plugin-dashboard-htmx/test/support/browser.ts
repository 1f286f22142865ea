import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

export const VIEWPORTS = {
  desktop: { width: 1366, height: 900 },
  tablet: { width: 820, height: 1180 },
  phone: { width: 390, height: 844 },
} as const;

/** One headless Chromium (Debian's) per test file, in a fresh profile directory. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: VIEWPORTS.desktop,
    locale: 'en-GB',
  });
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Collects what must never happen on a page: script dialogs, CSP violations, page errors. */
export function watchPage(page: Page): { dialogs: string[]; cspViolations: string[]; errors: string[] } {
  const seen = { dialogs: [] as string[], cspViolations: [] as string[], errors: [] as string[] };
  page.on('dialog', (d) => {
    // hx-confirm uses window.confirm on purpose; anything else (alert, prompt) is an injected script
    if (d.type() === 'confirm') void d.accept();
    else {
      seen.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    }
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  return seen;
}

export async function login(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard/login?lang=en`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${baseUrl}/dashboard/`), page.click('button[type=submit]')]);
}

/** Polls `fn` until it returns true (bounded, generous for a loaded machine). */
export async function eventually(fn: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
