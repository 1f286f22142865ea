import { describe, expect, it } from 'vitest';
import { formatIdTag, resolveIdTagFormat, type IdTagFormatOption } from './format-id-tag.js';

const uid = (hex: string) => Buffer.from(hex, 'hex');

describe('idTag formats', () => {
  it('hex upper case as read (default), reversed, decimal, prefix', () => {
    expect(formatIdTag(uid('04a23b1c'), resolveIdTagFormat(undefined))).toBe('04A23B1C');
    expect(formatIdTag(uid('04a23b1c'), resolveIdTagFormat('hex-reversed'))).toBe('1C3BA204');
    expect(formatIdTag(uid('04a23b1c'), resolveIdTagFormat('decimal'))).toBe(String(0x04a23b1c));
    // The 10-digit number printed on many 4-byte cards: reversed bytes, decimal, zero-padded.
    expect(formatIdTag(uid('0a000000'), resolveIdTagFormat({ byteOrder: 'reversed', encoding: 'decimal', minDigits: 10 }))).toBe('0000000010');
    expect(formatIdTag(uid('04112233445566'), resolveIdTagFormat({ prefix: 'PN-' }))).toBe('PN-04112233445566');
    expect(formatIdTag(uid('ffffffffffffff'), resolveIdTagFormat('decimal'))).toBe('72057594037927935');
  });

  it('rejects bad formats with what to use', () => {
    expect(() => resolveIdTagFormat('octal' as never)).toThrow(/"octal" is unknown; use "hex"/);
    expect(() => resolveIdTagFormat({ encoding: 'base64' as never })).toThrow(/encoding must be "hex" or "decimal"/);
    expect(() => resolveIdTagFormat({ prefix: 'has space' })).toThrow(/prefix/);
    expect(() => resolveIdTagFormat({ minDigits: 10 })).toThrow(/encoding "decimal" only/);
    expect(() => resolveIdTagFormat(42 as never)).toThrow(/string or an object/);
  });
});

describe('README idTag format table', () => {
  it('shows what formatIdTag gives for UID 04 A2 3B 1C', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `(.+?)`(?: \(default\))? \| `(\w[\w-]*)`/gm)].filter(([, option]) => option!.startsWith('"') || option!.startsWith('{'));
    expect(rows.length).toBe(6);
    for (const [, option, expected] of rows) {
      expect(formatIdTag(uid('04a23b1c'), resolveIdTagFormat(JSON.parse(option!) as IdTagFormatOption))).toBe(expected);
    }
  });
});
