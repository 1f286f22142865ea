import { describe, expect, it } from 'vitest';
import { apiKeyPrefix, generateApiKey, hashApiKey, roleAllows } from './api-keys.js';

describe('API keys', () => {
  it('generates cit_<12 hex>_<43 base64url> keys whose prefix is the embedded one', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^cit_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyPrefix(key)).toBe(key.slice(4, 16));
    expect(generateApiKey()).not.toBe(key);
  });

  it('derives a 16-character prefix for keys of another shape (the bootstrap key), from their hash', () => {
    const prefix = apiKeyPrefix('my-own-bootstrap-key-of-30-chars');
    expect(prefix).toMatch(/^cfg[0-9a-f]{13}$/);
    expect(apiKeyPrefix('my-own-bootstrap-key-of-30-chars')).toBe(prefix);
    expect(apiKeyPrefix('my-own-bootstrap-key-of-30-chars!')).not.toBe(prefix);
  });

  it('hashes with SHA-256 in a self-describing string, never containing the key', () => {
    const key = generateApiKey();
    const hash = hashApiKey(key);
    expect(hash).toMatch(/^sha256\$[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(key.slice(17));
    expect(hashApiKey(key)).toBe(hash);
  });

  it('orders roles viewer < operator < admin', () => {
    expect(roleAllows('admin', 'operator')).toBe(true);
    expect(roleAllows('operator', 'operator')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });
});
