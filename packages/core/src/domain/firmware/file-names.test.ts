import { describe, expect, it } from 'vitest';
import { chargePointFolder, isFileToken, newFileToken, sanitizeFileName } from './file-names.js';

describe('file names', () => {
  it('keeps only a safe last path segment', () => {
    expect(sanitizeFileName('diag-2026.tar.gz')).toBe('diag-2026.tar.gz');
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\logs\\diag log.zip')).toBe('diag_log.zip');
    expect(sanitizeFileName('..')).toBeNull();
    expect(sanitizeFileName('.hidden')).toBe('hidden');
    expect(sanitizeFileName('a\u0000b')).toBe('a_b');
    expect(sanitizeFileName('')).toBeNull();
    expect(sanitizeFileName('___')).toBeNull();
    expect(sanitizeFileName('x'.repeat(300))).toHaveLength(128);
  });

  it('gives odd charge point ids their own folder', () => {
    expect(chargePointFolder('CP-1')).toBe('CP-1');
    expect(chargePointFolder('..')).toMatch(/^__~[a-f0-9]{10}$/);
    expect(chargePointFolder('a:b')).not.toBe(chargePointFolder('a|b'));
  });

  it('makes 128-bit hex tokens', () => {
    const token = newFileToken();
    expect(isFileToken(token)).toBe(true);
    expect(isFileToken('../x')).toBe(false);
    expect(newFileToken()).not.toBe(token);
  });
});
