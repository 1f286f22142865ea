import { describe, expect, it } from 'vitest';
import { isCsmsError } from '../kernel/errors.js';
import { generateAuthKey, hashAuthKey, isAuthKeyHash, verifyAuthKey } from './credentials.js';

describe('credentials', () => {
  it('generates 20 random bytes as 40 lower-case hex characters', () => {
    const key = generateAuthKey();
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    expect(Buffer.from(key, 'hex')).toHaveLength(20);
    expect(generateAuthKey()).not.toBe(key);
  });

  it('hashes into a self-describing scrypt string with a random salt', async () => {
    const key = generateAuthKey();
    const a = await hashAuthKey(key);
    const b = await hashAuthKey(key);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(key);
    expect(isAuthKeyHash(a)).toBe(true);
  });

  it('verifies the right key (string and Buffer input) and refuses others', async () => {
    const key = generateAuthKey();
    const stored = await hashAuthKey(key);
    expect(await verifyAuthKey(Buffer.from(key), stored)).toBe(true);
    expect(await verifyAuthKey(Buffer.from(key.toUpperCase()), stored)).toBe(false);
    expect(await verifyAuthKey(Buffer.from(key.slice(0, -1)), stored)).toBe(false);
    expect(await verifyAuthKey(Buffer.alloc(0), stored)).toBe(false);

    const binary = Buffer.from([0, 1, 2, 0xff, 0x3a, 0x80, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const storedBinary = await hashAuthKey(binary);
    expect(await verifyAuthKey(Buffer.from(binary), storedBinary)).toBe(true);
    const flipped = Buffer.from(binary);
    flipped[3] = 0xfe;
    expect(await verifyAuthKey(flipped, storedBinary)).toBe(false);
  });

  it('treats a string key as UTF-8 bytes', async () => {
    const stored = await hashAuthKey('pässwörd-16chars');
    expect(await verifyAuthKey(Buffer.from('pässwörd-16chars', 'utf8'), stored)).toBe(true);
    expect(await verifyAuthKey(Buffer.from('pässwörd-16chars', 'latin1'), stored)).toBe(false);
  });

  it('refuses to hash an empty key', async () => {
    await expect(hashAuthKey('')).rejects.toSatisfy((err) => isCsmsError(err, 'CSMS_ERR_CONFIG_INVALID'));
  });

  it.each([
    ['', 'empty'],
    ['plaintext-password', 'not a hash'],
    ['bcrypt$10$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'other scheme'],
    ['scrypt$1000$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'N not a power of two'],
    ['scrypt$4194304$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'N above the bound'],
    ['scrypt$16384$0$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'r = 0'],
    ['scrypt$16384$8$99$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'p above the bound'],
    ['scrypt$16384$8$1$$aGFzaGhhc2hoYXNoaGFzaA', 'no salt'],
    ['scrypt$16384$8$1$c2FsdHNhbHQ$aGFzaA', 'short hash'],
  ])('rejects a malformed stored hash %j (%s) with CONFIG_INVALID', async (stored) => {
    expect(isAuthKeyHash(stored)).toBe(false);
    await expect(verifyAuthKey(Buffer.from('x'), stored)).rejects.toSatisfy((err) =>
      isCsmsError(err, 'CSMS_ERR_CONFIG_INVALID'),
    );
  });
});
