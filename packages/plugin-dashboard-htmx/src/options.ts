import { CsmsError, CsmsErrorCode } from '@charge-it/core';
import { isLocale, type Locale } from './i18n.js';

/** The environment variables the dashboard reads; pass them to `createCsms({ knownEnv: [...DASHBOARD_ENV] })`. */
export const DASHBOARD_ENV = [
  'CHARGE_IT_DASHBOARD_PREFIX',
  'CHARGE_IT_DASHBOARD_TIME_ZONE',
  'CHARGE_IT_DASHBOARD_LOCALE',
  'CHARGE_IT_DASHBOARD_ADMIN_USER',
  'CHARGE_IT_DASHBOARD_ADMIN_PASSWORD',
  'CHARGE_IT_DASHBOARD_SESSION_IDLE_MINUTES',
  'CHARGE_IT_DASHBOARD_SECURE_COOKIES',
] as const;

export interface DashboardOptions {
  /** URL prefix of the dashboard (default `/dashboard`; env CHARGE_IT_DASHBOARD_PREFIX). */
  prefix?: string;
  /** IANA time zone dates are shown in (default `Asia/Jakarta`, WIB; env CHARGE_IT_DASHBOARD_TIME_ZONE). */
  timeZone?: string;
  /** Language for users who have not chosen one (default from the browser, else `id`; env CHARGE_IT_DASHBOARD_LOCALE). */
  defaultLocale?: Locale;
  /**
   * The first admin, created at start when no dashboard user exists yet (env
   * CHARGE_IT_DASHBOARD_ADMIN_USER / CHARGE_IT_DASHBOARD_ADMIN_PASSWORD). In production mode
   * (NODE_ENV=production) the password must have at least 12 characters and is never defaulted.
   */
  firstAdmin?: { username: string; password: string };
  /** Idle time after which a session ends (default 8 h; env CHARGE_IT_DASHBOARD_SESSION_IDLE_MINUTES). */
  sessionIdleMinutes?: number;
  /** `true`: cookies always `Secure`; `'auto'` (default): `Secure` when the request came over TLS (or X-Forwarded-Proto https with trustProxy). */
  secureCookies?: boolean | 'auto';
  /** Failed logins per IP (and per username) allowed per 15 minutes before login answers 429 (default 10). */
  loginAttemptsPer15Min?: number;
  /** Also answer `GET /` with a redirect to the dashboard (default false; the SPKLU app turns it on). */
  redirectRoot?: boolean;
  /** Site name shown in the sidebar (default "Charge-IT"). */
  siteName?: string;
  /** Environment to read the CHARGE_IT_DASHBOARD_* variables from (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface ResolvedDashboardOptions {
  prefix: string;
  timeZone: string;
  defaultLocale: Locale | null;
  firstAdmin: { username: string; password: string } | null;
  sessionIdleMs: number;
  secureCookies: boolean | 'auto';
  loginAttemptsPer15Min: number;
  siteName: string;
  redirectRoot: boolean;
  production: boolean;
}

const bad = (option: string, message: string) =>
  new CsmsError(CsmsErrorCode.CONFIG_INVALID, `dashboard option ${option} ${message}`, { details: { option } });

export function resolveDashboardOptions(options: DashboardOptions = {}): ResolvedDashboardOptions {
  const env = options.env ?? process.env;
  const production = env.NODE_ENV === 'production';

  let prefix = options.prefix ?? env.CHARGE_IT_DASHBOARD_PREFIX ?? '/dashboard';
  if (!/^\/[A-Za-z0-9/_-]*$/.test(prefix)) throw bad('prefix', `"${prefix}" must start with "/" and contain only letters, digits, "-", "_" and "/"`);
  prefix = prefix.replace(/\/+$/, '');

  const timeZone = options.timeZone ?? env.CHARGE_IT_DASHBOARD_TIME_ZONE ?? 'Asia/Jakarta';
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw bad('timeZone', `"${timeZone}" is not an IANA time zone (e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)`);
  }

  const localeInput = options.defaultLocale ?? env.CHARGE_IT_DASHBOARD_LOCALE;
  if (localeInput !== undefined && !isLocale(localeInput)) throw bad('defaultLocale', `"${String(localeInput)}" must be "id" or "en"`);

  const idleInput = options.sessionIdleMinutes ?? (env.CHARGE_IT_DASHBOARD_SESSION_IDLE_MINUTES ? Number(env.CHARGE_IT_DASHBOARD_SESSION_IDLE_MINUTES) : 480);
  if (!Number.isFinite(idleInput) || idleInput < 1 || idleInput > 60 * 24 * 30) throw bad('sessionIdleMinutes', 'must be a number of minutes from 1 to 43200');

  const attempts = options.loginAttemptsPer15Min ?? 10;
  if (!Number.isInteger(attempts) || attempts < 1) throw bad('loginAttemptsPer15Min', 'must be a whole number ≥ 1');

  let firstAdmin = options.firstAdmin ?? null;
  if (!firstAdmin && (env.CHARGE_IT_DASHBOARD_ADMIN_USER || env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD)) {
    if (!env.CHARGE_IT_DASHBOARD_ADMIN_USER || !env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD) {
      throw bad('firstAdmin', 'needs both CHARGE_IT_DASHBOARD_ADMIN_USER and CHARGE_IT_DASHBOARD_ADMIN_PASSWORD');
    }
    firstAdmin = { username: env.CHARGE_IT_DASHBOARD_ADMIN_USER, password: env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD };
  }
  if (firstAdmin) {
    if (!firstAdmin.username) throw bad('firstAdmin.username', 'must not be empty');
    const minLength = production ? 12 : 8;
    if (typeof firstAdmin.password !== 'string' || firstAdmin.password.length < minLength) {
      throw bad('firstAdmin.password', `must have at least ${minLength} characters${production ? ' in production mode' : ''}`);
    }
    if (production && /^(admin|password|changeme|charge-?it)/i.test(firstAdmin.password)) {
      throw bad('firstAdmin.password', 'looks like a default password; choose a long random one');
    }
  }

  const secureCookies = options.secureCookies ?? (env.CHARGE_IT_DASHBOARD_SECURE_COOKIES === 'true' ? true : 'auto');

  return {
    prefix,
    timeZone,
    defaultLocale: (localeInput as Locale | undefined) ?? null,
    firstAdmin,
    sessionIdleMs: idleInput * 60_000,
    secureCookies,
    loginAttemptsPer15Min: attempts,
    siteName: options.siteName ?? 'Charge-IT',
    redirectRoot: options.redirectRoot ?? false,
    production,
  };
}
