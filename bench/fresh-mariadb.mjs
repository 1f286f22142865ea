// A fresh MariaDB database `charge_it_test_bench_<random>` for one benchmark run, dropped by
// dispose(): the bench scripts share it instead of each keeping a copy.
import { randomBytes } from 'node:crypto';

/** mysql2 connection options for the server of `serverUrl` (its database part is ignored). */
export function mariadbOptions(serverUrl) {
  const server = new URL(serverUrl);
  return {
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username) || 'root',
    password: decodeURIComponent(server.password),
    connectTimeout: 5_000,
  };
}

/** Creates the database; returns its URL, name, the server's connection options and dispose(). */
export async function freshMariaDbDatabase(serverUrl) {
  const mysql = await import('mysql2/promise');
  const options = mariadbOptions(serverUrl);
  const name = `charge_it_test_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection(options);
  await admin.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    options,
    async dispose() {
      const conn = await mysql.createConnection(options);
      await conn.query(`drop database if exists \`${name}\``);
      await conn.end();
    },
  };
}
