/**
 * CSV (RFC 4180) writing for the exports: fields with a comma, quote, CR or LF are quoted and
 * quotes doubled; rows end with CRLF.
 *
 * Text cells are also guarded against formula injection (OWASP "CSV injection"): idTags, stop
 * reasons and the like come from charge points and users, and a cell starting with `=`, `+`, `-`,
 * `@`, TAB or CR would run as a formula when the file is opened in a spreadsheet. Such text gets a
 * leading `'`. Numbers are written as numbers, never prefixed, so negative values stay numeric.
 */

export type CsvValue = string | number | boolean | Date | null | undefined;

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
