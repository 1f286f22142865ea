import { isAbsolute, resolve } from 'node:path';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';

/** Where the data lives, parsed from `databaseUrl` (env CHARGE_IT_DATABASE_URL). */
export type DatabaseTarget =
  | { dialect: 'sqlite'; /** absolute file path, or ':memory:' */ path: string }
  | {
      dialect: 'mariadb';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
    };

export const ACCEPTED_DATABASE_URL_FORMS =
  'sqlite:relative/or/absolute/path.db, file:path.db, a bare path ending in .db/.sqlite/.sqlite3, ' +
  ':memory: (tests only), or mysql://user:pass@host:3306/database (also mariadb://...)';

function invalid(databaseUrl: string, why: string): CsmsError {
  return new CsmsError(
    CsmsErrorCode.CONFIG_INVALID,
    `databaseUrl (CHARGE_IT_DATABASE_URL) "${redactDatabaseUrl(databaseUrl)}" is not valid: ${why}. ` +
      `Accepted forms: ${ACCEPTED_DATABASE_URL_FORMS}.`,
    { details: { option: 'databaseUrl', env: 'CHARGE_IT_DATABASE_URL' } },
  );
}

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactDatabaseUrl(databaseUrl: string): string {
  return databaseUrl.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

function sqlitePath(raw: string, baseDir: string): string {
  if (raw === ':memory:') return raw;
  return isAbsolute(raw) ? raw : resolve(baseDir, raw);
}

/**
 * Parses a database URL. Relative SQLite paths are resolved against `baseDir` (default: the
 * working directory). Throws CsmsError CONFIG_INVALID naming the option and the accepted forms.
 */
export function parseDatabaseUrl(databaseUrl: string, baseDir: string = process.cwd()): DatabaseTarget {
  const url = databaseUrl.trim();
  if (url === '') throw invalid(databaseUrl, 'it is empty');
  if (url === ':memory:') return { dialect: 'sqlite', path: ':memory:' };

  const prefixed = /^(sqlite|file):(.*)$/i.exec(url);
  if (prefixed) {
    // `sqlite:///abs/x.db` and `sqlite://rel/x.db` are common spellings too: drop the `//`.
    let rest = prefixed[2] ?? '';
    if (rest.startsWith('//')) rest = rest.slice(2);
    if (rest === '') throw invalid(databaseUrl, 'the SQLite file path is missing');
    return { dialect: 'sqlite', path: sqlitePath(rest, baseDir) };
  }

  if (/^(mysql|mariadb):\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(databaseUrl, 'it is not a well-formed URL');
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (parsed.hostname === '') throw invalid(databaseUrl, 'the host is missing');
    if (database === '' || database.includes('/')) {
      throw invalid(databaseUrl, 'the database name is missing (put it after the host: mysql://user:pass@host:3306/charge_it)');
    }
    const port = parsed.port === '' ? 3306 : Number(parsed.port);
    return {
      dialect: 'mariadb',
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port,
      user: decodeURIComponent(parsed.username) || 'root',
      password: decodeURIComponent(parsed.password),
      database,
    };
  }

  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && /\.(db|sqlite|sqlite3)$/i.test(url)) {
    return { dialect: 'sqlite', path: sqlitePath(url, baseDir) };
  }

  throw invalid(databaseUrl, 'unknown database kind');
}
