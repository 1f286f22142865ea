import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IDENTITY_PATTERN,
  checkUpgradeRequest,
  identitySegment,
  parseBasicAuth,
} from './handshake-checks.js';

const options = { basePath: '/ocpp', identityPattern: DEFAULT_IDENTITY_PATTERN };
const headers = (extra: Record<string, string | undefined> = {}) => ({
  upgrade: 'websocket',
  'sec-websocket-protocol': 'ocpp1.6',
  ...extra,
});
const check = (url: string, extra: Record<string, string | undefined> = {}) =>
  checkUpgradeRequest({ url, headers: headers(extra) }, options);

describe('identitySegment', () => {
  it.each([
    ['/ocpp/CP1', 'CP1'],
    ['/ocpp/CP1?x=1', 'CP1'],
    ['/ocpp/CP%201', 'CP%201'],
    ['/ocpp/', null],
    ['/ocpp', null],
    ['/ocpp/a/b', null],
    ['/ocppx/CP1', null],
    ['/other/CP1', null],
    ['/CP1', null],
  ])('%s → %s', (url, expected) => {
    expect(identitySegment(url, '/ocpp')).toBe(expected);
  });

  it('supports the root as base path', () => {
    expect(identitySegment('/CP1', '')).toBe('CP1');
    expect(identitySegment('/a/CP1', '')).toBeNull();
  });
});

describe('checkUpgradeRequest', () => {
  it('accepts a good request and decodes the id', () => {
    expect(check('/ocpp/CP-001')).toEqual({ ok: true, identity: 'CP-001', protocol: 'ocpp1.6' });
    expect(check('/ocpp/SPKLU%3A01%23A')).toEqual({ ok: true, identity: 'SPKLU:01#A', protocol: 'ocpp1.6' });
  });

  it.each([
    ['/other/CP1', 404],
    ['/ocpp/', 404],
    ['/ocpp/a/b', 404],
    ['/ocpp/bad%ZZ', 400],
    ['/ocpp/has%20space', 400],
    ['/ocpp/slash%2Finside', 400],
    ['/ocpp/..', 400],
    ['/ocpp/%2E', 400],
    [`/ocpp/${'A'.repeat(49)}`, 400],
    ['/ocpp/%00', 400],
    ['/ocpp/%C3%A9', 400],
  ])('%s → %i', (url, status) => {
    const result = check(url);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.status).toBe(status);
  });

  it('accepts the longest allowed id', () => {
    expect(check(`/ocpp/${'A'.repeat(48)}`).ok).toBe(true);
  });

  it('requires Upgrade: websocket', () => {
    const result = check('/ocpp/CP1', { upgrade: 'h2c' });
    expect(result).toMatchObject({ ok: false, status: 400 });
  });

  it.each([
    [undefined, 400],
    ['', 400],
    ['ocpp2.0.1', 400],
    ['ocpp0.1', 400],
    ['ocpp1.6,,x', 400],
    ['ocpp1.6, ocpp1.6', 400],
    ['ocpp 1.6', 400],
  ])('subprotocol %j → %i', (protocols, status) => {
    const result = check('/ocpp/CP1', { 'sec-websocket-protocol': protocols });
    expect(result).toMatchObject({ ok: false, status });
  });

  it.each([['ocpp0.1,ocpp1.6'], ['ocpp2.0.1, ocpp1.6'], ['ocpp1.6']])('subprotocol %j → ocpp1.6 (TC_088)', (protocols) => {
    expect(check('/ocpp/CP1', { 'sec-websocket-protocol': protocols })).toMatchObject({ ok: true, protocol: 'ocpp1.6' });
  });

  it('checks the path before the subprotocol', () => {
    expect(check('/nope/CP1', { 'sec-websocket-protocol': undefined })).toMatchObject({ ok: false, status: 404 });
  });
});

describe('parseBasicAuth', () => {
  const basic = (text: string | Buffer) => `Basic ${Buffer.from(text).toString('base64')}`;

  it('reads the password as raw bytes after "identity:"', () => {
    const result = parseBasicAuth(basic('CP1:secret'), 'CP1');
    expect(result.kind).toBe('present');
    if (result.kind === 'present') expect(result.password.toString()).toBe('secret');
  });

  it('splits on the identity, so ids and passwords may contain colons', () => {
    const result = parseBasicAuth(basic('SPKLU:01:pa:ss'), 'SPKLU:01');
    expect(result.kind === 'present' && result.password.toString()).toBe('pa:ss');
  });

  it('keeps binary passwords intact', () => {
    const password = Buffer.from([0, 255, 58, 10]);
    const result = parseBasicAuth(`basic   ${Buffer.concat([Buffer.from('CP1:'), password]).toString('base64')}`, 'CP1');
    expect(result.kind === 'present' && result.password.equals(password)).toBe(true);
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['Bearer abc', 'missing'],
    ['Basic', 'missing'],
    ['Basic !!!', 'missing'],
  ])('%j → %s', (header, kind) => {
    expect(parseBasicAuth(header, 'CP1').kind).toBe(kind);
  });

  it('a different username → wrong-username', () => {
    expect(parseBasicAuth(basic('CP2:secret'), 'CP1').kind).toBe('wrong-username');
    expect(parseBasicAuth(basic('CP1'), 'CP1').kind).toBe('wrong-username');
    expect(parseBasicAuth(basic('CP10:secret'), 'CP1').kind).toBe('wrong-username');
  });
});
