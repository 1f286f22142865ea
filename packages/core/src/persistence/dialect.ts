import type { EntityManager } from '@mikro-orm/core';

/** The ORM runs on SQLite (else MariaDB). */
export function isSqlite(em: EntityManager): boolean {
  return em.getDriver().constructor.name.toLowerCase().includes('sqlite');
}

/** The part of a better-sqlite3 `Database` the core uses directly. */
export interface NativeSqlite {
  readonly name: string;
  readonly memory: boolean;
  prepare(sql: string): { run(params: unknown[]): unknown; get(...params: unknown[]): unknown };
  pragma(sql: string): unknown;
  close(): void;
}

/** The better-sqlite3 handle under the ORM's single SQLite connection; null on MariaDB. */
export async function nativeSqlite(em: EntityManager): Promise<NativeSqlite | null> {
  if (!isSqlite(em)) return null;
  return (em.getConnection() as unknown as { getNativeClient(): Promise<NativeSqlite> }).getNativeClient();
}
