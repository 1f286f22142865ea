import type { MikroORM } from '@mikro-orm/core';
import { nativeSqlite, type NativeSqlite } from './dialect.js';

/**
 * SQLite only: a read-only connection of its own, beside the ORM's single connection. In WAL mode
 * it reads the last committed state and never waits for the writer — whereas a query through the
 * ORM waits until the write batch holding the one connection has committed. For the reads that
 * must be fast while writes pour in (the handshake's credential lookup in a reconnect storm).
 * Statements are prepared once per SQL text.
 */
export interface SqliteReader {
  get<T>(sql: string, params: readonly unknown[]): T | undefined;
  close(): void;
}

/** Opens the reader; null on MariaDB and for an in-memory SQLite database (nothing to share). */
export async function openSqliteReader(orm: MikroORM): Promise<SqliteReader | null> {
  const writer = await nativeSqlite(orm.em);
  if (!writer || writer.memory) return null;
  // The same better-sqlite3 class that opened the ORM's connection (no dependency of our own).
  const Database = writer.constructor as new (file: string, options: { readonly: boolean; fileMustExist: boolean }) => NativeSqlite;
  const db = new Database(writer.name, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, { get(...params: unknown[]): unknown }>();
  return {
    get<T>(sql: string, params: readonly unknown[]): T | undefined {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement.get(...params) as T | undefined;
    },
    close: () => db.close(),
  };
}
