import { createTestCsms, type TestCsms, type TestCsmsOptions } from '@charge-it/core/testing';
import type { CsmsPlugin } from '@charge-it/core';
import { dashboard, type DashboardOptions } from '../../src/index.js';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };

export interface Harness {
  t: TestCsms;
  inject: TestCsms['csms']['http']['inject'];
  /** Signs in and returns a client that keeps the session cookie and sends the CSRF token. */
  login(username?: string, password?: string): Promise<Client>;
  /** Creates a user of a role (through the adminUsers service) and signs them in. */
  as(role: 'viewer' | 'operator' | 'admin'): Promise<Client>;
  close(): Promise<void>;
}

export interface Client {
  cookie: string;
  csrf: string;
  get(url: string, headers?: Record<string, string>): Promise<Awaited<ReturnType<TestCsms['csms']['http']['inject']>>>;
  post(url: string, form: Record<string, string>, options?: { csrf?: string | null; htmx?: boolean }): Promise<Awaited<ReturnType<TestCsms['csms']['http']['inject']>>>;
}

export function cookieOf(setCookie: string | string[] | undefined, name: string): string | null {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  for (const c of list) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return m[1]!;
  }
  return null;
}

export function csrfFrom(body: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(body) ?? /"X-CSRF-Token":"([^"]+)"/.exec(body);
  if (!m) throw new Error('no CSRF token in page');
  return m[1]!;
}

export async function startHarness(options: { dashboard?: DashboardOptions; csms?: TestCsmsOptions; plugins?: CsmsPlugin[] } = {}): Promise<Harness> {
  const t = await createTestCsms({
    ...options.csms,
    plugins: [...(options.plugins ?? []), dashboard({ firstAdmin: ADMIN, env: {}, ...options.dashboard })],
  });
  const app = t.csms.http;
  const inject = app.inject.bind(app) as TestCsms['csms']['http']['inject'];
  let counter = 0;

  const login = async (username = ADMIN.username, password = ADMIN.password): Promise<Client> => {
    const prefix = options.dashboard?.prefix ?? '/dashboard';
    const page = await app.inject({ method: 'GET', url: `${prefix}/login` });
    const pre = cookieOf(page.headers['set-cookie'], 'ci_pre');
    const res = await app.inject({
      method: 'POST',
      url: '/dashboard/login',
      headers: { cookie: `ci_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrfFrom(page.body), username, password, next: '/dashboard/' }).toString(),
    });
    if (res.statusCode !== 303) throw new Error(`login failed: ${res.statusCode} ${res.body.slice(0, 300)}`);
    const sid = cookieOf(res.headers['set-cookie'], 'ci_sid');
    const cookie = `ci_sid=${sid}`;
    const home = await app.inject({ method: 'GET', url: '/dashboard/settings', headers: { cookie } });
    const csrf = csrfFrom(home.body);
    return {
      cookie,
      csrf,
      get: (url, headers = {}) => app.inject({ method: 'GET', url, headers: { cookie, ...headers } }),
      post: (url, form, opts = {}) =>
        app.inject({
          method: 'POST',
          url,
          headers: {
            cookie,
            'content-type': 'application/x-www-form-urlencoded',
            ...(opts.htmx ? { 'hx-request': 'true' } : {}),
          },
          payload: new URLSearchParams({ ...(opts.csrf === null ? {} : { _csrf: opts.csrf ?? csrf }), ...form }).toString(),
        }),
    };
  };

  return {
    t,
    inject,
    login,
    async as(role) {
      const username = `${role}-${++counter}`;
      await t.csms.services.get('adminUsers').create({ username, password: 'password-of-' + username, role }, 'test');
      return login(username, 'password-of-' + username);
    },
    close: () => t.close(),
  };
}
