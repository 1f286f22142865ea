import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveAccess } from './credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'charge-it-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const URL_ = 'https://demo-default-rtdb.asia-southeast1.firebasedatabase.app';
const key = { type: 'service_account', project_id: 'demo', client_email: 'mirror@demo.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n' };
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** `expect.stringMatching`, which vitest declares as `any`. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

describe('resolveAccess', () => {
  it('is off, saying why, without a database URL or without credentials', () => {
    expect(resolveAccess({ env: {} })).toEqual({ kind: 'off', reason: matching(/no databaseURL.*CHARGE_IT_FIREBASE_DATABASE_URL/) });
    expect(resolveAccess({ databaseURL: URL_, env: {} })).toEqual({ kind: 'off', reason: matching(/no credentials.*GOOGLE_APPLICATION_CREDENTIALS/) });
  });

  it('uses an emulator from FIREBASE_DATABASE_EMULATOR_HOST or an http URL with ns', () => {
    expect(resolveAccess({ databaseURL: URL_, env: { FIREBASE_DATABASE_EMULATOR_HOST: '127.0.0.1:9000' } })).toEqual({ kind: 'emulator', databaseURL: URL_, emulatorHost: '127.0.0.1:9000' });
    expect(resolveAccess({ databaseURL: 'http://127.0.0.1:9001?ns=demo', env: {} })).toMatchObject({ kind: 'emulator', emulatorHost: '127.0.0.1:9001' });
    expect(() => resolveAccess({ databaseURL: 'http://127.0.0.1:9001', env: {} })).toThrow(/needs its namespace/);
  });

  it('reads a service-account file from the option, CHARGE_IT_FIREBASE_CREDENTIALS, or takes GOOGLE_APPLICATION_CREDENTIALS', () => {
    const good = file('sa.json', JSON.stringify(key));
    expect(resolveAccess({ databaseURL: URL_, credentials: good, env: {} })).toMatchObject({ kind: 'serviceAccount', key: { client_email: key.client_email }, source: good });
    expect(resolveAccess({ env: { CHARGE_IT_FIREBASE_DATABASE_URL: URL_, CHARGE_IT_FIREBASE_CREDENTIALS: good } })).toMatchObject({ kind: 'serviceAccount', databaseURL: URL_ });
    expect(resolveAccess({ databaseURL: URL_, credentials: key, env: {} })).toMatchObject({ kind: 'serviceAccount' });
    expect(resolveAccess({ databaseURL: URL_, env: { GOOGLE_APPLICATION_CREDENTIALS: good } })).toEqual({ kind: 'applicationDefault', databaseURL: URL_, source: `GOOGLE_APPLICATION_CREDENTIALS=${good}` });
  });

  it('refuses credentials that cannot work, saying what to do', () => {
    expect(() => resolveAccess({ databaseURL: URL_, credentials: join(dir, 'missing.json'), env: {} })).toThrow(/missing\.json does not exist.*Service accounts/);
    expect(() => resolveAccess({ databaseURL: URL_, credentials: file('bad.json', '{nope'), env: {} })).toThrow(/bad\.json is not JSON/);
    expect(() => resolveAccess({ databaseURL: URL_, credentials: file('web.json', JSON.stringify({ apiKey: 'AIza' })), env: {} })).toThrow(/not a service-account key \(missing client_email, private_key\)/);
    expect(() => resolveAccess({ databaseURL: URL_, env: { GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'gone.json') } })).toThrow(/GOOGLE_APPLICATION_CREDENTIALS points to .*gone\.json, which does not exist/);
    expect(() => resolveAccess({ databaseURL: 'demo.firebaseio.com', env: {} })).toThrow(/is not a URL/);
    expect(() => resolveAccess({ databaseURL: 'ftp://demo.firebaseio.com', env: {} })).toThrow(/must be https/);
  });
});
