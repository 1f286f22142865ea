import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFmt } from '../src/format.js';
import { ID } from '../src/i18n-id.js';
import { translate } from '../src/i18n.js';
import { startOfDay, parseLocalDate } from '../src/time.js';
import { toastHeader } from '../src/http/context.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
}

describe('languages and formats', () => {
  it('every text the views pass to t() has a Bahasa Indonesia translation', () => {
    const src = join(import.meta.dirname, '..', 'src');
    const texts = new Set<string>();
    for (const file of files(src)) {
      const code = readFileSync(file, 'utf8');
      for (const m of code.matchAll(/\bt\('((?:[^'\\]|\\.)*)'/g)) texts.add(m[1]!.replace(/\\'/g, "'"));
      for (const m of code.matchAll(/\b(?:label|description|hint): '((?:[^'\\]|\\.)*)'/g)) texts.add(m[1]!);
    }
    const missing = [...texts].filter((x) => !(x in ID));
    expect(missing).toEqual([]);
  });

  it('formats rupiah, kWh and dates per locale, in the site time zone', () => {
    const id = createFmt('id', 'Asia/Jakarta');
    const en = createFmt('en', 'Asia/Jakarta');
    expect(id.idr(12345).replace(/\s/g, ' ')).toBe('Rp 12.345');
    expect(en.idr(12345).replace(/\s/g, ' ')).toBe('IDR 12,345');
    expect(id.kwh(12345)).toBe('12,35 kWh');
    expect(en.kwh(12345)).toBe('12.35 kWh');
    expect(id.dateTime('2026-12-06T09:00:00Z')).toContain('16.00');
    expect(id.dateTime('2026-12-06T09:00:00Z')).toContain('WIB');
    expect(createFmt('en', 'Asia/Jayapura').time('2026-12-06T09:00:00Z')).toBe('18:00:00');
    expect(translate('id', 'Page {p} of {n}', { p: 2, n: 5 })).toBe('Halaman 2 dari 5');
  });

  it('computes local days in the site time zone', () => {
    expect(startOfDay(new Date('2026-12-06T20:00:00Z'), 'Asia/Jakarta').toISOString()).toBe('2026-12-06T17:00:00.000Z');
    expect(parseLocalDate('2026-12-07', 'Asia/Jakarta')!.toISOString()).toBe('2026-12-06T17:00:00.000Z');
    expect(parseLocalDate('2026-12-07', 'Asia/Jakarta', true)!.toISOString()).toBe('2026-12-07T17:00:00.000Z');
    expect(parseLocalDate('2026-02-30', 'Asia/Jakarta')).toBeNull();
  });

  it('toasts travel in an ASCII-only header and read back unchanged', () => {
    const text = 'Kunci API baru “billing” — tersimpan';
    const header = toastHeader(text);
    expect(/^[\x20-\x7e]*$/.test(header)).toBe(true);
    expect(JSON.parse(header)).toEqual({ toast: text });
  });
});
