import { performance } from 'node:perf_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MikroORM, type EntitySchema, type MigrationObject, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sqlite';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';
import { silentLogger, type Logger } from '../kernel/logger.js';
import { parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget } from './database-url.js';
import { keepStatementsPrepared } from './dialect.js';
import { coreEntities } from './entities/index.js';
import { mariadbMigrations } from './migrations/mariadb/index.js';
import { sqliteMigrations } from './migrations/sqlite/index.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** The ORM of the CSMS: always a SQL driver (SQLite or MariaDB). */
export type CsmsOrm = MikroORM<AbstractSqlDriver>;
/** The entity manager handed to repositories and WriteBatcher works. */
export type CsmsEntityManager = SqlEntityManager<AbstractSqlDriver>;

export interface CreateOrmOptions {
  /** See `parseDatabaseUrl` / docs/persistence.md for the accepted forms. */
  databaseUrl: string;
  /**
   * Entities contributed by plugins. Their tables are created/extended by a safe schema update at
   * start (add tables and columns, never drop); the core tables are only ever changed by migrations.
   */
  extraEntities?: readonly EntitySchema<any, any>[];
  /** Log every SQL query (through `logger`). */
  debug?: boolean;
  /** Receives MikroORM's log lines; silent when omitted. */
  logger?: (msg: string) => void;
  /** MariaDB: how long the server may take to complete the connection handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** Warnings of the SQLite WAL checkpoint worker; silent when omitted. */
  log?: Logger;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The table that records applied migrations (MikroORM's default name). */
export const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/** How long a SQLite writer waits for a lock held by another process before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Per-connection SQLite settings. WAL lets readers run while the writer commits and makes a commit
 * one fsync-less append; synchronous=NORMAL is durable across application crashes (a power cut may
 * lose the last commits, never corrupt the file); foreign_keys is off by default in SQLite.
 * wal_autocheckpoint: a worker thread checkpoints about once a second (WalCheckpointer), so the
 * connection that commits only checkpoints itself, inside a commit, when the worker has stopped;
 * 10,000 pages (40 MB) instead of SQLite's 1,000 keeps that fallback rare under a MeterValues flood.
 */
const SQLITE_PRAGMAS = [
  'pragma journal_mode = WAL',
  'pragma synchronous = NORMAL',
  `pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
  'pragma foreign_keys = ON',
  'pragma wal_autocheckpoint = 10000',
];

/** The shape of the Kysely connection passed to `onCreateConnection` (kysely is not our dependency). */
interface RawConnection {
  executeQuery(query: { sql: string; parameters: readonly unknown[] }): Promise<unknown>;
}

function migrationsFor(target: DatabaseTarget): MigrationObject[] {
  return target.dialect === 'sqlite' ? sqliteMigrations : mariadbMigrations;
}

async function driverOptions(target: DatabaseTarget, connectTimeoutMs: number): Promise<Partial<Options>> {
  if (target.dialect === 'sqlite') {
    // Loaded on demand so a MariaDB deployment never loads the native better-sqlite3 module.
    const { SqliteDriver } = await import('@mikro-orm/sqlite');
    return {
      driver: SqliteDriver,
      dbName: target.path,
      driverOptions: { timeout: SQLITE_BUSY_TIMEOUT_MS },
      onCreateConnection: async (connection: unknown) => {
        for (const sql of SQLITE_PRAGMAS) {
          await (connection as RawConnection).executeQuery({ sql, parameters: [] });
        }
      },
    };
  }
  const { MariaDbDriver } = await import('@mikro-orm/mariadb');
  return {
    driver: MariaDbDriver,
    dbName: target.database,
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    charset: 'utf8mb4',
    // mysql2 option: fail within connectTimeoutMs on a black-holed or silent host instead of its default.
    driverOptions: { connectTimeout: connectTimeoutMs },
  };
}

function errorFacts(err: unknown): { code?: string; errno?: number; message: string } {
  // MikroORM wraps driver errors; the driver's code/errno sit on the error or on its cause.
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const e = cur as { code?: unknown; errno?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && e.code !== '') {
      return { code: e.code, errno: typeof e.errno === 'number' ? e.errno : undefined, message: String((cur as Error).message) };
    }
    cur = e.cause;
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * A clear start error for a database that cannot be used. `silentForMs` is set when the attempt ran
 * into the connect timeout: the server accepted TCP (or nothing answered at all) but never completed
 * the handshake, whatever error code the driver reported for it (ETIMEDOUT, ECONNRESET, ...).
 */
function connectionError(target: DatabaseTarget, databaseUrl: string, err: unknown, silentForMs?: number): CsmsError {
  const facts = errorFacts(err);
  const details = { databaseUrl: redactDatabaseUrl(databaseUrl), code: facts.code };
  if (target.dialect === 'sqlite') {
    return new CsmsError(
      CsmsErrorCode.DATABASE,
      `cannot open SQLite database ${target.path}: ${facts.code ?? facts.message} — check that the folder is ` +
        `writable and the file is a SQLite database; check CHARGE_IT_DATABASE_URL`,
      { cause: err, details },
    );
  }
  const where = `${target.host}:${target.port}`;
  if (silentForMs !== undefined) {
    return new CsmsError(
      CsmsErrorCode.DATABASE,
      `cannot connect to MariaDB at ${where}: ${where} did not answer within ${Math.round(silentForMs / 100) / 10} s ` +
        `(${facts.code ?? 'timeout'}) — is a MariaDB server listening there and not overloaded? check CHARGE_IT_DATABASE_URL`,
      { cause: err, details: { ...details, silentForMs } },
    );
  }
  let hint: string;
  switch (facts.code) {
    case 'ER_BAD_DB_ERROR':
      hint =
        `database \`${target.database}\` does not exist — create it first ` +
        `(CREATE DATABASE \`${target.database}\` CHARACTER SET utf8mb4) or fix the name in CHARGE_IT_DATABASE_URL`;
      break;
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      hint = `access denied for user '${target.user}' — check the user, password and grants in CHARGE_IT_DATABASE_URL`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      hint = `host '${target.host}' not found — check CHARGE_IT_DATABASE_URL`;
      break;
    default:
      hint = `${facts.code ?? facts.message} — is it running? check CHARGE_IT_DATABASE_URL`;
  }
  return new CsmsError(CsmsErrorCode.DATABASE, `cannot connect to MariaDB at ${where}: ${hint}`, {
    cause: err,
    details,
  });
}

/**
 * Creates plugin tables (and new plugin columns) with a safe schema update limited to the plugin
 * entities: the core tables and the migrations table are skipped, so only migrations change them.
 */
async function updatePluginSchema(orm: CsmsOrm): Promise<void> {
  const generatorOptions = orm.config.get('schemaGenerator') as { skipTables?: (string | RegExp)[] };
  const previous = generatorOptions.skipTables;
  const coreTables = coreEntities.map((schema) => schema.meta.tableName ?? schema.meta.collection);
  generatorOptions.skipTables = [...(previous ?? []), ...coreTables, MIGRATIONS_TABLE];
  try {
    await orm.schema.update({ safe: true, dropTables: false });
  } finally {
    generatorOptions.skipTables = previous;
  }
}

/**
 * Runs the pending migrations. On SQLite, foreign keys are switched off around them (the
 * procedure of sqlite.org/lang_altertable.html): a migration that rebuilds a table drops the old
 * one, and with foreign keys on that DROP would first delete — or cascade-delete — the child rows.
 * The pragma is a no-op inside a transaction, hence here, before the migrations' transaction.
 */
async function applyMigrations(orm: CsmsOrm, target: DatabaseTarget): Promise<void> {
  if (target.dialect !== 'sqlite') {
    await orm.migrator.up();
    return;
  }
  const connection = orm.em.getConnection();
  await connection.execute('pragma foreign_keys = off');
  try {
    await orm.migrator.up();
    const violations = await connection.execute<unknown[]>('pragma foreign_key_check');
    if (violations.length > 0) {
      throw new Error(`foreign key check failed after the migrations: ${JSON.stringify(violations.slice(0, 5))}`);
    }
  } finally {
    await connection.execute('pragma foreign_keys = on');
  }
}

async function closeQuietly(orm: MikroORM): Promise<void> {
  try {
    await orm.close(true);
  } catch {
    // The connection is already broken; the original error is what matters.
  }
}

/**
 * Opens the database named by `databaseUrl`, applies the committed migrations of its dialect and
 * the plugin entities' schema, and returns the ORM. SQLite files (and their folder) are created;
 * a MariaDB database must already exist.
 */
export async function createOrm(options: CreateOrmOptions): Promise<CsmsOrm> {
  const target = parseDatabaseUrl(options.databaseUrl);
  if (target.dialect === 'sqlite' && target.path !== ':memory:') {
    try {
      mkdirSync(dirname(target.path), { recursive: true });
    } catch (err) {
      throw connectionError(target, options.databaseUrl, err);
    }
  }
  const extraEntities = options.extraEntities ?? [];
  const logger = options.logger ?? (() => {});
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

  let orm: CsmsOrm;
  try {
    orm = (await MikroORM.init({
      ...(await driverOptions(target, connectTimeoutMs)),
      entities: [...coreEntities, ...extraEntities],
      extensions: [Migrator],
      // Never create a missing MariaDB database behind the operator's back.
      ensureDatabase: false,
      debug: options.debug ?? false,
      logger,
      colors: false,
      migrations: {
        tableName: MIGRATIONS_TABLE,
        migrationsList: migrationsFor(target),
        // No snapshot files: the app may run from a read-only install.
        snapshot: false,
        snapshotOnMigrate: false,
        transactional: true,
        allOrNothing: true,
        silent: !options.debug,
      },
    })) as CsmsOrm;
  } catch (err) {
    throw new CsmsError(
      CsmsErrorCode.DATABASE,
      `cannot set up the ORM: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }

  const connectStarted = performance.now();
  try {
    await orm.connect();
    const check = await orm.checkConnection();
    if (!check.ok) throw check.error ?? new Error(check.reason);
  } catch (err) {
    await closeQuietly(orm);
    const silentForMs = performance.now() - connectStarted >= connectTimeoutMs * 0.9 ? connectTimeoutMs : undefined;
    throw connectionError(target, options.databaseUrl, err, silentForMs);
  }

  try {
    await applyMigrations(orm, target);
  } catch (err) {
    await closeQuietly(orm);
    throw new CsmsError(
      CsmsErrorCode.DATABASE,
      `applying the database migrations failed: ${err instanceof Error ? err.message : String(err)} — ` +
        `the database may have been changed by hand or by a newer Charge-IT version`,
      { cause: err, details: { databaseUrl: redactDatabaseUrl(options.databaseUrl) } },
    );
  }

  if (extraEntities.length > 0) {
    try {
      await updatePluginSchema(orm);
    } catch (err) {
      await closeQuietly(orm);
      throw new CsmsError(
        CsmsErrorCode.DATABASE,
        `creating the plugin tables failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
  await keepStatementsPrepared(orm.em);
  if (target.dialect === 'sqlite' && target.path !== ':memory:') await checkpointInWorker(orm, target.path, options.log ?? silentLogger);
  return orm;
}

/**
 * Moves SQLite's WAL checkpoints to a worker thread (see WalCheckpointer), stopped when the ORM
 * closes. A worker that cannot start leaves SQLite's own checkpoints in place, with a warning.
 */
async function checkpointInWorker(orm: CsmsOrm, path: string, log: Logger): Promise<void> {
  let checkpointer: WalCheckpointer;
  try {
    checkpointer = await WalCheckpointer.start(path, { busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS, log });
  } catch (err) {
    log.warn({ err }, 'SQLite WAL checkpoints stay on the committing connection: the checkpoint worker did not start');
    return;
  }
  const close = orm.close.bind(orm);
  orm.close = async (force?: boolean) => {
    await checkpointer.stop();
    return close(force);
  };
}
