import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, cookieOf, csrfFrom, startHarness, type Harness } from './support/harness.js';

describe('sign-in, sessions, CSRF, roles, headers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ dashboard: { loginAttemptsPer15Min: 3 } });
  });
  afterAll(() => h?.close());

  it('sends an unknown visitor to the login page, and serves the login page with a strict CSP', async () => {
    const res = await h.inject({ method: 'GET', url: '/dashboard/stations' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/dashboard/login?next=%2Fdashboard%2Fstations');
    const login = await h.inject({ method: 'GET', url: '/dashboard/login' });
    expect(login.statusCode).toBe(200);
    expect(login.headers['content-security-policy']).toContain("script-src 'self'");
    expect(login.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(login.headers['x-frame-options']).toBe('DENY');
    expect(login.body).toContain('name="password"');
    expect(login.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('signs in with the first admin; the cookie is HttpOnly and SameSite, the session ends at logout', async () => {
    const page = await h.inject({ method: 'GET', url: '/dashboard/login' });
    const pre = cookieOf(page.headers['set-cookie'], 'ci_pre');
    const res = await h.inject({
      method: 'POST', url: '/dashboard/login',
      headers: { cookie: `ci_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrfFrom(page.body), username: ADMIN.username, password: ADMIN.password, next: '/dashboard/transactions' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/dashboard/transactions');
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] as string[]).find((c) => c.startsWith('ci_sid='))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain HTTP here; Secure under TLS
    const cookie = setCookie.split(';')[0]!;
    const settings = await h.inject({ method: 'GET', url: '/dashboard/settings', headers: { cookie } });
    expect(settings.statusCode).toBe(200);
    const out = await h.inject({ method: 'POST', url: '/dashboard/logout', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${encodeURIComponent(csrfFrom(settings.body))}` });
    expect(out.statusCode).toBe(303);
    // The old cookie no longer works: the session ended on the server.
    const after = await h.inject({ method: 'GET', url: '/dashboard/settings', headers: { cookie } });
    expect(after.statusCode).toBe(303);
  });

  it('refuses a wrong password and rate-limits repeated failures (429 with Retry-After)', async () => {
    const attempt = async (password: string) => {
      const page = await h.inject({ method: 'GET', url: '/dashboard/login', remoteAddress: '10.0.0.9' });
      const pre = cookieOf(page.headers['set-cookie'], 'ci_pre');
      return h.inject({
        method: 'POST', url: '/dashboard/login', remoteAddress: '10.0.0.9',
        headers: { cookie: `ci_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrfFrom(page.body), username: 'someone', password }).toString(),
      });
    };
    for (let i = 0; i < 3; i++) {
      const res = await attempt('wrong-password');
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('Nama pengguna atau kata sandi salah'); // default language: Indonesian
    }
    const limited = await attempt('wrong-password');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses a login POST without the form token', async () => {
    const res = await h.inject({ method: 'POST', url: '/dashboard/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `username=${ADMIN.username}&password=${ADMIN.password}` });
    expect(res.statusCode).toBe(403);
    expect(cookieOf(res.headers['set-cookie'], 'ci_sid')).toBeNull();
  });

  it('never redirects outside the dashboard after login (no open redirect)', async () => {
    const page = await h.inject({ method: 'GET', url: '/dashboard/login' });
    const pre = cookieOf(page.headers['set-cookie'], 'ci_pre');
    const res = await h.inject({
      method: 'POST', url: '/dashboard/login',
      headers: { cookie: `ci_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrfFrom(page.body), username: ADMIN.username, password: ADMIN.password, next: '//evil.example/x' }).toString(),
    });
    expect(res.headers.location).toBe('/dashboard/');
  });

  it('refuses a state change without (or with a wrong) CSRF token, and changes nothing', async () => {
    const admin = await h.login();
    const before = await h.t.csms.services.get('settings').get('tariff');
    const none = await admin.post('/dashboard/settings/tariff', { ...stringify(before), energyPricePerKwh: '9999' }, { csrf: null });
    expect(none.statusCode).toBe(403);
    const wrong = await admin.post('/dashboard/settings/tariff', { ...stringify(before), energyPricePerKwh: '9999' }, { csrf: 'not-the-token' });
    expect(wrong.statusCode).toBe(403);
    expect(await h.t.csms.services.get('settings').get('tariff')).toEqual(before);
  });

  it('checks the role on every route: a viewer reads but may not change settings or send commands', async () => {
    const viewer = await h.as('viewer');
    expect((await viewer.get('/dashboard/settings')).statusCode).toBe(200);
    const res = await viewer.post('/dashboard/settings/site', { maxGridPowerKw: '10', minPowerPerConnectorKw: '1.4', defaultChargePointMaxKw: '22' });
    expect(res.statusCode).toBe(403);
    expect((await h.t.csms.services.get('settings').get('site')).maxGridPowerKw).toBeNull();
    expect((await viewer.post('/dashboard/stations/CP-1/commands/reset', { type: 'Soft' })).statusCode).toBe(403);
    expect((await viewer.get('/dashboard/settings/users')).statusCode).toBe(403);
    expect((await viewer.get('/dashboard/audit')).statusCode).toBe(403);
    const operator = await h.as('operator');
    expect((await operator.get('/dashboard/audit')).statusCode).toBe(200);
    expect((await operator.post('/dashboard/settings/maintenance', { enabled: 'true' })).statusCode).toBe(403);
    expect((await operator.get('/dashboard/settings/api-keys')).statusCode).toBe(403);
  });

  it('language: chosen per user (POST), default from the browser; dates in WIB', async () => {
    const admin = await h.login();
    const en = await admin.get('/dashboard/settings', { 'accept-language': 'en-US' });
    expect(en.body).toContain('<html lang="en">');
    const set = await admin.post('/dashboard/preferences/locale', { locale: 'id', return: '/settings' });
    expect(set.statusCode).toBe(303);
    expect(set.headers.location).toBe('/dashboard/settings');
    const id = await admin.get('/dashboard/settings', { 'accept-language': 'en-US' });
    expect(id.body).toContain('<html lang="id">');
    expect(id.body).toContain('Pengaturan');
  });
});

function stringify(o: object): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}

describe('cookies under TLS', () => {
  it('marks the session cookie Secure when secureCookies is on (as it is automatically for requests over TLS)', async () => {
    const h = await startHarness({ dashboard: { secureCookies: true } });
    try {
      const page = await h.inject({ method: 'GET', url: '/dashboard/login' });
      const pre = cookieOf(page.headers['set-cookie'], 'ci_pre');
      const res = await h.inject({
        method: 'POST', url: '/dashboard/login',
        headers: { cookie: `ci_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrfFrom(page.body), username: ADMIN.username, password: ADMIN.password }).toString(),
      });
      const setCookie = ([] as string[]).concat(res.headers['set-cookie'] as string[]).find((c) => c.startsWith('ci_sid='))!;
      expect(setCookie).toMatch(/; Secure/);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/Path=\/dashboard/);
    } finally {
      await h.close();
    }
  });
});
