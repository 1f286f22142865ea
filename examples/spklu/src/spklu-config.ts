import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { CsmsError, CsmsErrorCode } from '@charge-it/core';

/**
 * The SPKLU app's own settings (on top of the core's `CHARGE_IT_*` options and the plugins' variables).
 * Every one of them is documented in `.env.example`.
 */
export const SPKLU_ENV = [
  'CHARGE_IT_SPKLU_MODE',
  'CHARGE_IT_SPKLU_DEMO',
  'CHARGE_IT_SPKLU_DEMO_CHARGE_POINTS',
  'CHARGE_IT_SPKLU_DEMO_HISTORY_DAYS',
  'CHARGE_IT_SPKLU_DEMO_PN532',
  'CHARGE_IT_SPKLU_CONFIG',
  'CHARGE_IT_SPKLU_SITE_NAME',
] as const;

/** The dashboard plugin's variables (it has no exported list of them). */
export const DASHBOARD_ENV = [
  'CHARGE_IT_DASHBOARD_PREFIX',
  'CHARGE_IT_DASHBOARD_TIME_ZONE',
  'CHARGE_IT_DASHBOARD_LOCALE',
  'CHARGE_IT_DASHBOARD_ADMIN_USER',
  'CHARGE_IT_DASHBOARD_ADMIN_PASSWORD',
  'CHARGE_IT_DASHBOARD_SESSION_IDLE_MINUTES',
  'CHARGE_IT_DASHBOARD_SECURE_COOKIES',
] as const;

/** The dashboard login a demo installation creates (only in demo mode, only when no user exists). */
export const DEMO_ADMIN = Object.freeze({ username: 'admin', password: 'charge-it-demo' });

/**
 * Passwords that ship in this repository (demo login, compose defaults): in production mode the app
 * refuses to start while any of them is in use.
 */
export const DEMO_PASSWORDS: readonly string[] = [DEMO_ADMIN.password, 'charge-it-demo-root'];

export type SpkluMode = 'demo' | 'production';

export interface SpkluSettings {
  mode: SpkluMode;
  /** Simulated charge points, synthetic history, the demo login and simulator cards. */
  demo: boolean;
  /** Simulated charge points driven by the edge runtime's simulator (random sessions). */
  demoChargePoints: number;
  /** Days of synthetic history seeded once for AI Insights (0 = none). */
  demoHistoryDays: number;
  /** One more demo charge point with an emulated PN532 reader on which a demo card is tapped. */
  demoPn532: boolean;
  siteName: string;
  /** Where the settings came from: the config file read, if any. */
  configFile: string | null;
  /** The environment the app hands to the core and the plugins (config file merged under process env). */
  env: Record<string, string | undefined>;
}

export interface SpkluSettingsInput {
  /** Default process.env. */
  env?: Record<string, string | undefined>;
  /** Command-line arguments after `node dist/main.js` (`--no-demo`, `--demo`, `--config <file>`). */
  argv?: readonly string[];
}

const bad = (problems: string[]) =>
  new CsmsError(CsmsErrorCode.CONFIG_INVALID, `invalid SPKLU configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
    details: { problems },
  });

function parseBool(name: string, value: string | undefined, problems: string[]): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  problems.push(`${name} must be true or false; got ${name}=${JSON.stringify(value)}`);
  return undefined;
}

function parseInt0(name: string, value: string | undefined, fallback: number, max: number, problems: string[]): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    problems.push(`${name} must be a whole number from 0 to ${max}; got ${name}=${JSON.stringify(value)}`);
    return fallback;
  }
  return n;
}

/**
 * Reads the app's settings from the command line, the environment and the optional config file
 * (`--config <file>` or `CHARGE_IT_SPKLU_CONFIG`: a `.env`-style file of `NAME=value` lines; the
 * process environment wins over it). Throws `CSMS_ERR_CONFIG_INVALID` listing every problem.
 */
export function resolveSpkluSettings(input: SpkluSettingsInput = {}): SpkluSettings {
  const processEnv = input.env ?? process.env;
  const argv = input.argv ?? [];
  const problems: string[] = [];

  let demoFlag: boolean | undefined;
  let configFile: string | null = processEnv.CHARGE_IT_SPKLU_CONFIG || null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-demo') demoFlag = false;
    else if (arg === '--demo') demoFlag = true;
    else if (arg === '--config') {
      const file = argv[++i];
      if (!file) problems.push('--config needs a file name');
      else configFile = file;
    } else if (arg.startsWith('--config=')) configFile = arg.slice('--config='.length);
    else problems.push(`unknown argument ${JSON.stringify(arg)} (try --help)`);
  }

  let fileEnv: Record<string, string> = {};
  if (configFile) {
    try {
      fileEnv = parseEnv(readFileSync(configFile, 'utf8')) as Record<string, string>;
    } catch (err) {
      problems.push(`config file ${configFile} cannot be read: ${(err as Error).message}`);
    }
  }
  const env: Record<string, string | undefined> = { ...fileEnv, ...processEnv };

  const modeInput = env.CHARGE_IT_SPKLU_MODE;
  let mode: SpkluMode = env.NODE_ENV === 'production' ? 'production' : 'demo';
  if (modeInput) {
    if (modeInput === 'demo' || modeInput === 'production') mode = modeInput;
    else problems.push(`CHARGE_IT_SPKLU_MODE must be "demo" or "production"; got CHARGE_IT_SPKLU_MODE=${JSON.stringify(modeInput)}`);
  }
  // The dashboard decides its production rules (password length, no defaults) from NODE_ENV.
  if (mode === 'production' && env.NODE_ENV !== 'production') env.NODE_ENV = 'production';

  const demoEnv = parseBool('CHARGE_IT_SPKLU_DEMO', env.CHARGE_IT_SPKLU_DEMO, problems);
  const demo = demoFlag ?? demoEnv ?? mode === 'demo';
  const settings: SpkluSettings = {
    mode,
    demo,
    demoChargePoints: parseInt0('CHARGE_IT_SPKLU_DEMO_CHARGE_POINTS', env.CHARGE_IT_SPKLU_DEMO_CHARGE_POINTS, 2, 50, problems),
    demoHistoryDays: parseInt0('CHARGE_IT_SPKLU_DEMO_HISTORY_DAYS', env.CHARGE_IT_SPKLU_DEMO_HISTORY_DAYS, 60, 730, problems),
    demoPn532: parseBool('CHARGE_IT_SPKLU_DEMO_PN532', env.CHARGE_IT_SPKLU_DEMO_PN532, problems) ?? true,
    siteName: env.CHARGE_IT_SPKLU_SITE_NAME || 'SPKLU',
    configFile,
    env,
  };
  if (mode === 'production') problems.push(...productionProblems(settings));
  if (problems.length) throw bad(problems);
  return settings;
}

/**
 * What production mode does not accept: the demo, chargers without a key, and any password that
 * ships in this repository. Each line says how to fix it.
 */
export function productionProblems(settings: Pick<SpkluSettings, 'demo' | 'env'>): string[] {
  const { env } = settings;
  const problems: string[] = [];
  if (settings.demo) {
    problems.push('the demo (simulated charge points, synthetic history, demo login) cannot run in production mode: remove CHARGE_IT_SPKLU_DEMO=true / --demo');
  }
  if (/^(1|true|yes|on)$/i.test(env.CHARGE_IT_AUTO_REGISTER ?? '')) {
    problems.push(
      'CHARGE_IT_AUTO_REGISTER=true lets any charger in without a key in production mode: register each charge point in the dashboard (Stations → Register, security profile 1 or 2) and remove the variable',
    );
  }
  if (env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD && DEMO_PASSWORDS.includes(env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD)) {
    problems.push('CHARGE_IT_DASHBOARD_ADMIN_PASSWORD is the demo password: choose a long random one (e.g. openssl rand -base64 18)');
  }
  const dbPassword = databasePassword(env.CHARGE_IT_DATABASE_URL);
  if (dbPassword !== null && DEMO_PASSWORDS.includes(dbPassword)) {
    problems.push('CHARGE_IT_DATABASE_URL uses the demo database password of compose.yaml: set MARIADB_PASSWORD (and the URL) to a random one');
  }
  if (env.CHARGE_IT_API_ADMIN_KEY && DEMO_PASSWORDS.some((p) => env.CHARGE_IT_API_ADMIN_KEY!.includes(p))) {
    problems.push('CHARGE_IT_API_ADMIN_KEY contains a demo password: use openssl rand -hex 24');
  }
  return problems;
}

function databasePassword(url: string | undefined): string | null {
  if (!url || !/^(mysql|mariadb):\/\//i.test(url)) return null;
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : null;
  } catch {
    return null; // the core reports a malformed URL itself
  }
}

/** Every variable this app reads, for `createCsms({ knownEnv })` (no "unknown variable" warnings). */
export const SPKLU_KNOWN_ENV: readonly string[] = [...SPKLU_ENV, ...DASHBOARD_ENV];
