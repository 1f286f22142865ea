import { describe, expect, it } from 'vitest';
import { isCsmsError } from '../../kernel/errors.js';
import { corsHeaders, parseCorsOrigins } from './public-cors.js';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows `limit` hits per window and key, says when to retry, and forgets ended windows', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000, now: () => now });
    expect([limiter.hit('a'), limiter.hit('a'), limiter.hit('b')]).toEqual([0, 0, 0]);
    now += 15_000;
    expect(limiter.hit('a')).toBe(45);
    now += 45_000;
    expect(limiter.hit('a')).toBe(0);
    now += 120_000;
    limiter.hit('c');
    expect(limiter.size).toBe(1);
  });
});

describe('public CORS origins', () => {
  it('parses unset, * and lists, and builds the headers', () => {
    expect(parseCorsOrigins(undefined)).toEqual({ kind: 'same-origin' });
    expect(corsHeaders(parseCorsOrigins(' '), 'https://a.example')).toEqual({});
    expect(corsHeaders(parseCorsOrigins('*'), undefined)).toEqual({ 'access-control-allow-origin': '*' });
    const list = parseCorsOrigins('https://driver.example.id/, http://10.0.0.5:8080');
    expect(corsHeaders(list, 'http://10.0.0.5:8080')).toEqual({ vary: 'Origin', 'access-control-allow-origin': 'http://10.0.0.5:8080' });
    expect(corsHeaders(list, 'https://driver.example.id')['access-control-allow-origin']).toBe('https://driver.example.id');
    expect(corsHeaders(list, 'https://evil.example')).toEqual({ vary: 'Origin' });
  });

  it.each(['driver.example.id', 'https://driver.example.id/page', 'ftp://x.example', '*,https://a.example'])('refuses %s naming the variable', (value) => {
    let error: unknown;
    try {
      parseCorsOrigins(value);
    } catch (err) {
      error = err;
    }
    expect(isCsmsError(error, 'CSMS_ERR_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('CHARGE_IT_LIVE_PUBLIC_CORS_ORIGINS');
  });
});
