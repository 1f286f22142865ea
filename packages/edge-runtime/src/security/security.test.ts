import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../ocpp/outbox.js';
import { CredentialStore, authorizationKeyProblem } from './credential-store.js';
import { SecurityEventReporter, isCertificateError } from './security-events.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-security-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('CredentialStore (A01 key rotation)', () => {
  const K1 = 'a'.repeat(40);
  const K2 = 'b'.repeat(40);
  const K3 = 'c'.repeat(40);

  it('tries the new key, then the old one, until the new one is accepted; survives a restart', () => {
    const file = join(dir, 'credentials.json');
    const store = new CredentialStore({ file, configKey: K1 });
    expect(store.candidates()).toEqual([K1]);
    store.rotate(K2);
    expect(store.candidates()).toEqual([K2, K1]);
    // A restart before the new key worked keeps both.
    expect(new CredentialStore({ file, configKey: K1 }).candidates()).toEqual([K2, K1]);
    // Accepted with the old key: nothing forgotten.
    store.accepted(K1);
    expect(store.candidates()).toEqual([K2, K1]);
    // A second rotation while unconfirmed keeps the key known to work as the fallback.
    store.rotate(K3);
    expect(store.candidates()).toEqual([K3, K1]);
    store.accepted(K3);
    expect(store.candidates()).toEqual([K3]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ key: K3, previousKey: null });
    expect(new CredentialStore({ file, configKey: K1 }).current).toBe(K3);
  });

  it('a changed config password (re-provisioned by hand) wins over a rotated key', () => {
    const file = join(dir, 'credentials.json');
    new CredentialStore({ file, configKey: K1 }).rotate(K2);
    expect(new CredentialStore({ file, configKey: K3 }).candidates()).toEqual([K3]);
  });

  it('checks the key: 16–40 printable characters', () => {
    expect(authorizationKeyProblem('x'.repeat(15))).toMatch(/16–40/);
    expect(authorizationKeyProblem('x'.repeat(41))).toMatch(/16–40/);
    expect(authorizationKeyProblem('sixteen chars ok')).toMatch(/printable/);
    expect(authorizationKeyProblem('0123456789abcdef')).toBeUndefined();
    expect(() => new CredentialStore({ file: join(dir, 'c.json'), configKey: undefined }).rotate('short')).toThrow(/AuthorizationKey/);
  });
});

describe('SecurityEventReporter', () => {
  it('journals events durably, reports a refused key or an untrusted certificate once per outage', async () => {
    const file = join(dir, 'security-events.jsonl');
    const sent: Array<Record<string, unknown>> = [];
    let online = false;
    const outbox = new Outbox({
      file,
      log: silentLogger,
      send: async (_action, payload) => {
        sent.push(payload);
        return {};
      },
      canSend: () => online,
      retryPolicy: () => ({ attempts: 3, intervalS: 0 }),
    });
    const reporter = new SecurityEventReporter({ outbox, log: silentLogger, now: () => '2026-01-01T00:00:00.000Z' });
    reporter.report('StartupOfTheDevice', 'Reboot: power loss or crash (unclean stop)');
    for (let i = 0; i < 3; i++) reporter.connectFailed({ status: 401, message: 'Unauthorized' });
    for (let i = 0; i < 3; i++) reporter.connectFailed({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' });
    reporter.connectFailed({ code: 'ECONNREFUSED', message: 'refused' });
    expect(readFileSync(file, 'utf8').match(/SecurityEventNotification/g)).toHaveLength(3);
    online = true;
    outbox.kick();
    await outbox.whenEmpty();
    expect(sent.map((p) => p.type)).toEqual(['StartupOfTheDevice', 'FailedToAuthenticateAtCentralSystem', 'InvalidCentralSystemCertificate']);
    reporter.connected();
    reporter.connectFailed({ status: 401, message: 'Unauthorized' });
    await outbox.whenEmpty();
    expect(sent).toHaveLength(4);
    await outbox.stop();
  });

  it('keeps events in the log only when disabled', async () => {
    const outbox = new Outbox({ file: join(dir, 's.jsonl'), log: silentLogger, send: async () => ({}), canSend: () => false, retryPolicy: () => ({ attempts: 1, intervalS: 0 }) });
    new SecurityEventReporter({ outbox, log: silentLogger, now: () => '', enabled: false }).report('FirmwareUpdated');
    expect(outbox.size).toBe(0);
    await outbox.stop();
  });

  it('tells certificate errors from other socket errors', () => {
    expect(isCertificateError('CERT_HAS_EXPIRED')).toBe(true);
    expect(isCertificateError('ERR_TLS_CERT_ALTNAME_INVALID')).toBe(true);
    expect(isCertificateError('ECONNRESET')).toBe(false);
    expect(isCertificateError(undefined)).toBe(false);
  });
});
