/**
 * Reads a test database through its own connection, outside the ORM, to see only what is
 * committed. For SQLite the read is synchronous (node:sqlite), so a check made in a `.then`
 * callback observes the database at the moment the promise settled.
 */
import { DatabaseSync } from 'node:sqlite';
import mysql from 'mysql2/promise';
import { parseDatabaseUrl } from '../../src/persistence/database-url.js';

export interface RawReader {
  /** First column of the first row of `sql` as a number. */
  scalar(sql: string): Promise<number>;
  /** SQLite only: the same, synchronously. */
  scalarSync?(sql: string): number;
  close(): Promise<void>;
}

export async function openRawReader(databaseUrl: string): Promise<RawReader> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.dialect === 'sqlite') {
    const db = new DatabaseSync(target.path, { readOnly: true });
    const scalarSync = (sql: string) => Number(Object.values(db.prepare(sql).get() as object)[0]);
    return {
      scalarSync,
      scalar: async (sql) => scalarSync(sql),
      close: async () => {
        db.close();
      },
    };
  }
  const conn = await mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
  });
  return {
    scalar: async (sql) => {
      const [rows] = await conn.query(sql);
      return Number(Object.values((rows as object[])[0] as object)[0]);
    },
    close: () => conn.end(),
  };
}
