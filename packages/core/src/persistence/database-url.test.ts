import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsmsErrorCode, isCsmsError } from '../kernel/errors.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';

describe('parseDatabaseUrl', () => {
  const base = '/srv/app';

  it('reads SQLite forms, resolving relative paths against the base dir', () => {
    expect(parseDatabaseUrl('sqlite:data/csms.db', base)).toEqual({ dialect: 'sqlite', path: resolve(base, 'data/csms.db') });
    expect(parseDatabaseUrl('sqlite:/var/lib/csms.db', base)).toEqual({ dialect: 'sqlite', path: '/var/lib/csms.db' });
    expect(parseDatabaseUrl('sqlite:///var/lib/csms.db', base)).toEqual({ dialect: 'sqlite', path: '/var/lib/csms.db' });
    expect(parseDatabaseUrl('file:csms.sqlite', base)).toEqual({ dialect: 'sqlite', path: resolve(base, 'csms.sqlite') });
    expect(parseDatabaseUrl('./csms.db', base)).toEqual({ dialect: 'sqlite', path: resolve(base, 'csms.db') });
    expect(parseDatabaseUrl('/tmp/x.sqlite3', base)).toEqual({ dialect: 'sqlite', path: '/tmp/x.sqlite3' });
    expect(parseDatabaseUrl(':memory:', base)).toEqual({ dialect: 'sqlite', path: ':memory:' });
  });

  it('reads MariaDB URLs with decoded credentials and the default port', () => {
    expect(parseDatabaseUrl('mysql://csms:p%40ss@db.local/charge_it')).toEqual({
      dialect: 'mariadb',
      host: 'db.local',
      port: 3306,
      user: 'csms',
      password: 'p@ss',
      database: 'charge_it',
    });
    expect(parseDatabaseUrl('mariadb://root@127.0.0.1:3307/test')).toMatchObject({ port: 3307, user: 'root', password: '' });
  });

  it.each(['', 'postgres://u@h/db', 'csms', 'mysql://root@127.0.0.1:3306', 'mysql://root@127.0.0.1:3306/', 'sqlite:', 'http://x/y.db'])(
    'rejects %j with CONFIG_INVALID naming the option and the accepted forms',
    (url) => {
      let caught: unknown;
      try {
        parseDatabaseUrl(url);
      } catch (err) {
        caught = err;
      }
      expect(isCsmsError(caught, CsmsErrorCode.CONFIG_INVALID)).toBe(true);
      const message = (caught as Error).message;
      expect(message).toContain('databaseUrl');
      expect(message).toContain('CHARGE_IT_DATABASE_URL');
      expect(message).toContain('mysql://user:pass@host:3306/database');
    },
  );

  it('never shows a password in messages', () => {
    expect(redactDatabaseUrl('mysql://csms:secret@h:3306/db')).toBe('mysql://csms:***@h:3306/db');
    let message = '';
    try {
      parseDatabaseUrl('mysql://csms:secret@h:3306');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain('secret');
  });
});
