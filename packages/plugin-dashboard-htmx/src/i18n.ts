import { ID } from './i18n-id.js';

export type Locale = 'en' | 'id';
export const LOCALES: readonly Locale[] = ['en', 'id'];

export function isLocale(value: unknown): value is Locale {
  return value === 'en' || value === 'id';
}

/**
 * Texts are written in English in the views; `ID` maps each English text to Bahasa Indonesia.
 * A missing translation falls back to English (a test lists the texts without one).
 */
export function translate(locale: Locale, text: string, vars?: Record<string, string | number>): string {
  const template = locale === 'id' ? (ID[text] ?? text) : text;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/** Picks a locale from an Accept-Language header ('id' when Indonesian is preferred). */
export function localeFromAcceptLanguage(header: string | undefined, fallback: Locale): Locale {
  if (!header) return fallback;
  const first = header.split(',')[0]?.trim().toLowerCase() ?? '';
  if (first.startsWith('id') || first.startsWith('in')) return 'id';
  if (first.startsWith('en')) return 'en';
  return fallback;
}
