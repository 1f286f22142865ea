/**
 * The databases the route tests run on: a fresh SQLite file always, and a fresh MariaDB database
 * `charge_it_test_dash_<random>` when CHARGE_IT_TEST_MARIADB_URL is set (an unreachable server then
 * fails the test; it is never skipped silently).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

export interface TestDatabase {
  /** undefined = createTestCsms's own temporary SQLite file. */
  databaseUrl: string | undefined;
  dispose(): Promise<void>;
}

export function testDatabases(): { name: 'sqlite' | 'mariadb'; create(): Promise<TestDatabase> }[] {
  const kinds: { name: 'sqlite' | 'mariadb'; create(): Promise<TestDatabase> }[] = [
    {
      name: 'sqlite',
      async create() {
        const dir = await mkdtemp(join(tmpdir(), 'dashboard-'));
        return { databaseUrl: `sqlite:${join(dir, 'csms.db')}`, dispose: () => rm(dir, { recursive: true, force: true }) };
      },
    },
  ];
  const serverUrl = process.env.CHARGE_IT_TEST_MARIADB_URL;
  if (serverUrl) {
    kinds.push({
      name: 'mariadb',
      async create() {
        const server = new URL(serverUrl);
        const database = `charge_it_test_dash_${randomBytes(6).toString('hex')}`;
        const connect = () =>
          mysql.createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username) || 'root', password: decodeURIComponent(server.password), connectTimeout: 10_000 });
        const admin = await connect();
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
    });
  }
  return kinds;
}
