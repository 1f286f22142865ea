import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startHarness, type Harness } from './support/harness.js';

function httpsCall(url: string, ca: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the dashboard over TLS (HTTPS)', () => {
  let dir: string;
  let cert: string;
  let h: Harness;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dashboard-tls-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    } as never);
    cert = pems.cert;
    await writeFile(join(dir, 'c.crt'), pems.cert);
    await writeFile(join(dir, 'c.key'), pems.private);
    h = await startHarness({ csms: { tls: { certFile: join(dir, 'c.crt'), keyFile: join(dir, 'c.key') } } });
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sets the session cookie Secure by itself (secureCookies auto) and the login works over HTTPS', async () => {
    expect(h.t.url.startsWith('https://')).toBe(true);
    const page = await httpsCall(`${h.t.url}/dashboard/login`, cert);
    expect(page.status).toBe(200);
    const pre = ([] as string[]).concat(page.headers['set-cookie'] as string[]).find((c) => c.startsWith('ci_pre='))!;
    expect(pre).toMatch(/; Secure/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const login = await httpsCall(`${h.t.url}/dashboard/login`, cert, {
      method: 'POST',
      headers: { cookie: pre.split(';')[0]!, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, username: ADMIN.username, password: ADMIN.password }).toString(),
    });
    expect(login.status).toBe(303);
    const sid = ([] as string[]).concat(login.headers['set-cookie'] as string[]).find((c) => c.startsWith('ci_sid='))!;
    expect(sid).toMatch(/; Secure/);
    expect(sid).toMatch(/HttpOnly/);
    expect(sid).toMatch(/SameSite=Lax/);
  });
});
