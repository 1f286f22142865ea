import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_ENV, resolveDashboardOptions } from '../src/options.js';
import { startHarness } from './support/harness.js';

describe('dashboard options', () => {
  it('has safe defaults: /dashboard, Asia/Jakarta, 8 h idle sessions', () => {
    expect(resolveDashboardOptions({ env: {} })).toMatchObject({ prefix: '/dashboard', timeZone: 'Asia/Jakarta', sessionIdleMs: 480 * 60_000, firstAdmin: null, redirectRoot: false });
  });

  it('DASHBOARD_ENV names exactly the variables the options read', () => {
    const code = readFileSync(join(import.meta.dirname, '..', 'src', 'options.ts'), 'utf8').split('export interface DashboardOptions')[1]!;
    const read = new Set([...code.matchAll(/env\.(CHARGE_IT_DASHBOARD_[A-Z_]+)/g)].map((m) => m[1]));
    expect([...read].sort()).toEqual([...DASHBOARD_ENV].sort());
  });

  it('reads CHARGE_IT_DASHBOARD_* variables', () => {
    const o = resolveDashboardOptions({ env: { CHARGE_IT_DASHBOARD_PREFIX: '/admin/', CHARGE_IT_DASHBOARD_TIME_ZONE: 'Asia/Makassar', CHARGE_IT_DASHBOARD_LOCALE: 'en', CHARGE_IT_DASHBOARD_ADMIN_USER: 'root', CHARGE_IT_DASHBOARD_ADMIN_PASSWORD: 'long-enough-1' } });
    expect(o).toMatchObject({ prefix: '/admin', timeZone: 'Asia/Makassar', defaultLocale: 'en', firstAdmin: { username: 'root', password: 'long-enough-1' } });
  });

  it('fails at start with a message that says what to fix', () => {
    expect(() => resolveDashboardOptions({ env: {}, prefix: 'dashboard' })).toThrow(/prefix "dashboard" must start with "\/"/);
    expect(() => resolveDashboardOptions({ env: {}, timeZone: 'Mars/Olympus' })).toThrow(/not an IANA time zone/);
    expect(() => resolveDashboardOptions({ env: {}, defaultLocale: 'fr' as never })).toThrow(/"id" or "en"/);
    expect(() => resolveDashboardOptions({ env: { CHARGE_IT_DASHBOARD_ADMIN_USER: 'x' } })).toThrow(/needs both/);
  });

  it('never accepts a default or short first-admin password in production mode', () => {
    expect(() => resolveDashboardOptions({ env: { NODE_ENV: 'production' }, firstAdmin: { username: 'admin', password: 'admin12345' } })).toThrow(/at least 12 characters in production/);
    expect(() => resolveDashboardOptions({ env: { NODE_ENV: 'production' }, firstAdmin: { username: 'admin', password: 'admin-admin-admin' } })).toThrow(/default password/);
    expect(resolveDashboardOptions({ env: { NODE_ENV: 'production' }, firstAdmin: { username: 'admin', password: 'x9Qv-7tLm-2RfK' } }).firstAdmin).not.toBeNull();
  });

  it('a custom prefix and the root redirect work end to end; the first admin is created once', async () => {
    const h = await startHarness({ dashboard: { prefix: '/admin', redirectRoot: true } });
    try {
      const root = await h.inject({ method: 'GET', url: '/' });
      expect(root.statusCode).toBe(302);
      expect(root.headers.location).toBe('/admin/');
      expect((await h.inject({ method: 'GET', url: '/admin/login' })).statusCode).toBe(200);
      expect((await h.inject({ method: 'GET', url: '/dashboard/login' })).statusCode).toBe(404);
      expect((await h.t.csms.services.get('adminUsers').list()).map((u) => u.role)).toEqual(['admin']);
    } finally {
      await h.close();
    }
  });
});
