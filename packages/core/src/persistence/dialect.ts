import type { EntityManager } from '@mikro-orm/core';

/** The ORM runs on SQLite (else MariaDB). */
export function isSqlite(em: EntityManager): boolean {
  return em.getDriver().constructor.name.toLowerCase().includes('sqlite');
}

/** The part of a better-sqlite3 `Statement` the core uses directly. */
export interface NativeStatement {
  run(params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  /** True while an `iterate()` over it is open. */
  readonly busy: boolean;
}

/** The part of a better-sqlite3 `Database` the core uses directly. */
export interface NativeSqlite {
  readonly name: string;
  readonly memory: boolean;
  /** A transaction is open on the connection. */
  readonly inTransaction: boolean;
  prepare(sql: string): NativeStatement;
  pragma(sql: string): unknown;
  close(): void;
}

/** The better-sqlite3 handle under the ORM's single SQLite connection; null on MariaDB. */
export async function nativeSqlite(em: EntityManager): Promise<NativeSqlite | null> {
  if (!isSqlite(em)) return null;
  return (em.getConnection() as unknown as { getNativeClient(): Promise<NativeSqlite> }).getNativeClient();
}

/** Statements kept prepared per SQLite connection (see `keepStatementsPrepared`). */
const PREPARED_STATEMENTS = 500;

/**
 * Makes the ORM's SQLite connection reuse prepared statements. Kysely's SQLite driver, under
 * MikroORM, calls better-sqlite3's `prepare(sql)` for every query, which parses and plans the SQL
 * again each time. For a small write (BEGIN, an upsert, COMMIT) that costs more than running it.
 * Now the same SQL text gets its statement back. It keeps the last 500 SQL texts, dropping the
 * least recently used. MikroORM writes some values into the SQL text; such one-off queries only
 * pass through the cache. A statement still open in an `iterate()` is never handed out again: the
 * caller gets a fresh one. Statements survive schema changes (SQLite re-prepares them itself).
 */
export async function keepStatementsPrepared(em: EntityManager): Promise<void> {
  const db = await nativeSqlite(em);
  if (!db) return;
  const prepare = db.prepare.bind(db);
  const statements = new Map<string, NativeStatement>();
  (db as { prepare(sql: string): NativeStatement }).prepare = (sql: string) => {
    const cached = statements.get(sql);
    if (cached && !cached.busy) {
      statements.delete(sql); // re-inserted below: the map's order is the order of last use
      statements.set(sql, cached);
      return cached;
    }
    const statement = prepare(sql);
    if (cached) return statement;
    statements.set(sql, statement);
    if (statements.size > PREPARED_STATEMENTS) statements.delete(statements.keys().next().value!);
    return statement;
  };
}
