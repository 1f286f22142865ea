import type { FastifyRequest } from 'fastify';
import type { DashboardSession } from '../auth/session-store.js';
import { isLocale, localeFromAcceptLanguage, type Locale } from '../i18n.js';
import type { DashboardDeps } from './context.js';

export const SESSION_COOKIE = 'ci_sid';
export const LOCALE_COOKIE = 'ci_lang';

export function secureCookie(deps: DashboardDeps, request: FastifyRequest): boolean {
  return deps.options.secureCookies === true || (deps.options.secureCookies === 'auto' && request.protocol === 'https');
}

export function pickLocale(deps: DashboardDeps, request: FastifyRequest, session?: DashboardSession | null): Locale {
  if (session?.locale) return session.locale;
  const fromCookie = request.cookies[LOCALE_COOKIE];
  if (isLocale(fromCookie)) return fromCookie;
  return deps.options.defaultLocale ?? localeFromAcceptLanguage(request.headers['accept-language'], 'id');
}

