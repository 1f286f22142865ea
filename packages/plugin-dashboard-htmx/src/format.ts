import { translate, type Locale } from './i18n.js';

/** Formatting for one request: the user's locale and the site's time zone. */
export interface Fmt {
  readonly locale: Locale;
  readonly timeZone: string;
  t(text: string, vars?: Record<string, string | number>): string;
  /** Date and time in the site's time zone, e.g. "6 Des 2026 14.05 WIB". */
  dateTime(value: string | Date | null | undefined): string;
  date(value: string | Date | null | undefined): string;
  time(value: string | Date | null | undefined): string;
  /** Rupiah, no minor unit: "Rp 12.345". */
  idr(value: number | null | undefined): string;
  kwh(wh: number | null | undefined): string;
  kw(w: number | null | undefined): string;
  number(value: number | null | undefined, digits?: number): string;
  duration(seconds: number | null | undefined): string;
  ago(value: string | Date | null | undefined, now?: Date): string;
}

const intlLocale = (locale: Locale) => (locale === 'id' ? 'id-ID' : 'en-GB');

export function createFmt(locale: Locale, timeZone: string): Fmt {
  const tag = intlLocale(locale);
  const dtf = new Intl.DateTimeFormat(tag, { timeZone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
  const df = new Intl.DateTimeFormat(tag, { timeZone, day: 'numeric', month: 'short', year: 'numeric' });
  const tf = new Intl.DateTimeFormat(tag, { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const idr = new Intl.NumberFormat(tag, { style: 'currency', currency: 'IDR', maximumFractionDigits: 0, minimumFractionDigits: 0 });
  const nf = new Map<number, Intl.NumberFormat>();
  const num = (value: number, digits: number) => {
    let f = nf.get(digits);
    if (!f) nf.set(digits, (f = new Intl.NumberFormat(tag, { minimumFractionDigits: digits, maximumFractionDigits: digits })));
    return f.format(value);
  };
  const toDate = (v: string | Date) => (v instanceof Date ? v : new Date(v));
  const valid = (v: string | Date | null | undefined): v is string | Date => v !== null && v !== undefined && !Number.isNaN(toDate(v).getTime());
  const t = (text: string, vars?: Record<string, string | number>) => translate(locale, text, vars);
  return {
    locale,
    timeZone,
    t,
    dateTime: (v) => (valid(v) ? dtf.format(toDate(v)) : '—'),
    date: (v) => (valid(v) ? df.format(toDate(v)) : '—'),
    time: (v) => (valid(v) ? tf.format(toDate(v)) : '—'),
    idr: (v) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : idr.format(Math.round(v))),
    kwh: (wh) => (wh === null || wh === undefined || !Number.isFinite(wh) ? '—' : `${num(wh / 1000, 2)} kWh`),
    kw: (w) => (w === null || w === undefined || !Number.isFinite(w) ? '—' : `${num(w / 1000, 1)} kW`),
    number: (v, digits = 0) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : num(v, digits)),
    duration: (s) => {
      if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return '—';
      const h = Math.floor(s / 3600);
      const m = Math.floor((s % 3600) / 60);
      if (h > 0) return t('{h} h {m} min', { h, m });
      if (m > 0) return t('{m} min', { m });
      return t('{s} s', { s: Math.floor(s) });
    },
    ago: (v, now = new Date()) => {
      if (!valid(v)) return '—';
      const s = Math.max(0, Math.round((now.getTime() - toDate(v).getTime()) / 1000));
      if (s < 60) return t('{n} s ago', { n: s });
      if (s < 3600) return t('{n} min ago', { n: Math.floor(s / 60) });
      if (s < 86_400) return t('{n} h ago', { n: Math.floor(s / 3600) });
      return dtf.format(toDate(v));
    },
  };
}
