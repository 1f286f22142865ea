/**
 * `@charge-it/core/testing`: the databases every persistence-backed test runs against (the core's,
 * and any plugin's). Use with `describe.each`:
 *
 *   describe.each(testDatabases())('on $name', (db) => {
 *     let database: TestDatabase;
 *     beforeEach(async () => { database = await db.create(); });
 *     afterEach(async () => { await database.dispose(); });
 *     ...
 *   });
 *
 * SQLite is always there (a fresh file in a fresh temp dir). MariaDB is in the list only when
 * CHARGE_IT_TEST_MARIADB_URL is set (e.g. mysql://root@127.0.0.1:3306/test); then each create()
 * makes a fresh database `charge_it_test_<random>` on that server (loaded lazily: SQLite-only users
 * never load the MariaDB driver), and an unreachable server makes
 * create() throw — a configured MariaDB is never silently skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mysql2/promise';

export interface TestDatabase {
  /** Pass to createOrm / createCsms as `databaseUrl`. */
  databaseUrl: string;
  /** Removes the file / drops the database. Close the ORM first. */
  dispose(): Promise<void>;
}

export interface TestDatabaseKind {
  name: 'sqlite' | 'mariadb';
  create(): Promise<TestDatabase>;
}

export const MARIADB_URL_ENV = 'CHARGE_IT_TEST_MARIADB_URL';

function sqliteKind(): TestDatabaseKind {
  return {
    name: 'sqlite',
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'charge-it-test-'));
      return {
        databaseUrl: `sqlite:${join(dir, 'csms.db')}`,
        async dispose() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function mariadbKind(serverUrl: string): TestDatabaseKind {
  return {
    name: 'mariadb',
    async create() {
      const server = new URL(serverUrl);
      const where = `${server.hostname}:${server.port || 3306}`;
      const database = `charge_it_test_${randomBytes(6).toString('hex')}`;
      // Loaded on demand: SQLite-only users of the testing kit never load the MariaDB driver.
      const { default: mysql } = await import('mysql2/promise');
      const connect = () =>
        mysql.createConnection({
          host: server.hostname,
          port: Number(server.port || 3306),
          user: decodeURIComponent(server.username) || 'root',
          password: decodeURIComponent(server.password),
          connectTimeout: 10_000,
        });
      let admin: Connection;
      try {
        admin = await connect();
      } catch (err) {
        throw new Error(
          `${MARIADB_URL_ENV} is set but MariaDB at ${where} is unreachable: ${(err as Error).message}. ` +
            `Start it or unset ${MARIADB_URL_ENV} to run the tests on SQLite only.`,
          { cause: err },
        );
      }
      try {
        await admin.query(`create database \`${database}\` character set utf8mb4 collate utf8mb4_unicode_ci`);
      } finally {
        await admin.end();
      }
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      return {
        databaseUrl: url.toString(),
        async dispose() {
          const conn = await connect();
          try {
            await conn.query(`drop database if exists \`${database}\``);
          } finally {
            await conn.end();
          }
        },
      };
    },
  };
}

/** SQLite always; MariaDB too when CHARGE_IT_TEST_MARIADB_URL is set. */
export function testDatabases(): TestDatabaseKind[] {
  const kinds = [sqliteKind()];
  const serverUrl = process.env[MARIADB_URL_ENV];
  if (serverUrl) kinds.push(mariadbKind(serverUrl));
  return kinds;
}
