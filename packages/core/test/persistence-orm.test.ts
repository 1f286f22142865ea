import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { defineEntity, p, UniqueConstraintViolationException } from '@mikro-orm/core';
import { CsmsErrorCode, isCsmsError } from '../src/kernel/errors.js';
import { createOrm, MIGRATIONS_TABLE, type CsmsOrm } from '../src/persistence/create-orm.js';
import { nativeSqlite } from '../src/persistence/dialect.js';
import { ChargePointSchema, TransactionSchema, coreEntities, MeterSampleSchema } from '../src/persistence/entities/index.js';
import { sqliteMigrations } from '../src/persistence/migrations/sqlite/index.js';
import { mariadbMigrations } from '../src/persistence/migrations/mariadb/index.js';
import { testDatabases, type TestDatabase } from './support/databases.js';
import { openRawReader } from './support/raw-reader.js';

const PluginNote = defineEntity({
  name: 'PluginNote',
  tableName: 'plugin_note',
  properties: {
    id: p.integer().primary().autoincrement(),
    chargePoint: () => p.manyToOne(ChargePointSchema).mapToPk(),
    text: p.string().length(200),
  },
});

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

function startData(overrides: Record<string, unknown> = {}) {
  return {
    chargePoint: 'CP-1',
    connectorId: 1,
    idTag: 'TAG1',
    idTagStatus: 'Accepted',
    meterStart: 1000,
    startTimestamp: new Date('2024-05-01T10:00:00.123Z'),
    startReceivedAt: new Date(),
    status: 'Active' as const,
    ...overrides,
  };
}

describe('createOrm: bad configuration', () => {
  it.each(['postgres://u@h/db', 'csms', ''])('rejects databaseUrl %j with CONFIG_INVALID', async (databaseUrl) => {
    const err = await errorOf(createOrm({ databaseUrl }));
    expect(isCsmsError(err, CsmsErrorCode.CONFIG_INVALID)).toBe(true);
    expect((err as Error).message).toContain('CHARGE_IT_DATABASE_URL');
  });

  it('reports an unreachable MariaDB as DATABASE with host, port, cause and a hint', async () => {
    const err = await errorOf(createOrm({ databaseUrl: 'mysql://root:secret@127.0.0.1:1/charge_it' }));
    expect(isCsmsError(err, CsmsErrorCode.DATABASE)).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain('cannot connect to MariaDB at 127.0.0.1:1');
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain('CHARGE_IT_DATABASE_URL');
    expect(message).not.toContain('secret');
    expect((err as Error).cause).toBeDefined();
  });

  it('reports a server that accepts the connection but never answers as silent for the timeout', async () => {
    // A local socket that accepts TCP and then says nothing (no MariaDB handshake).
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const err = await errorOf(createOrm({ databaseUrl: `mysql://root@127.0.0.1:${port}/charge_it`, connectTimeoutMs: 1_000 }));
      expect(isCsmsError(err, CsmsErrorCode.DATABASE)).toBe(true);
      const message = (err as Error).message;
      expect(message).toContain(`127.0.0.1:${port} did not answer within 1 s`);
      expect(message).toContain('CHARGE_IT_DATABASE_URL');
      expect(message).not.toContain('is it running');
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('reports a SQLite path that cannot be created as DATABASE', async () => {
    // A regular file where a folder should be: mkdir fails with ENOTDIR.
    const dir = mkdtempSync(join(tmpdir(), 'charge-it-test-'));
    try {
      writeFileSync(join(dir, 'file'), '');
      const path = join(dir, 'file', 'sub', 'csms.db');
      const err = await errorOf(createOrm({ databaseUrl: `sqlite:${path}` }));
      expect(isCsmsError(err, CsmsErrorCode.DATABASE)).toBe(true);
      expect((err as Error).message).toContain(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createOrm on SQLite', () => {
  it('works in memory for unit tests', async () => {
    const orm = await createOrm({ databaseUrl: ':memory:' });
    try {
      const em = orm.em.fork();
      em.create(ChargePointSchema, { id: 'CP-M' });
      await em.flush();
      expect(await orm.em.fork().count(ChargePointSchema)).toBe(1);
    } finally {
      await orm.close();
    }
  });

  it('sets WAL, synchronous=NORMAL, busy_timeout and foreign keys on the connection', async () => {
    const db = (await testDatabases()[0]!.create()) as TestDatabase;
    const orm = await createOrm({ databaseUrl: db.databaseUrl });
    try {
      const conn = orm.em.getConnection();
      const one = async (sql: string) => Object.values((await conn.execute<object[]>(sql))[0]!)[0];
      expect(String(await one('pragma journal_mode'))).toBe('wal');
      expect(Number(await one('pragma synchronous'))).toBe(1); // NORMAL
      expect(Number(await one('pragma busy_timeout'))).toBeGreaterThan(0);
      expect(Number(await one('pragma foreign_keys'))).toBe(1);
    } finally {
      await orm.close();
      await db.dispose();
    }
  });
});

describe('createOrm on SQLite: statements kept prepared', () => {
  it('hands the same SQL its prepared statement again, never one still iterating, and reads fresh data and columns', async () => {
    const db = (await testDatabases()[0]!.create()) as TestDatabase;
    const orm = await createOrm({ databaseUrl: db.databaseUrl });
    try {
      const native = (await nativeSqlite(orm.em))!;
      const sql = 'select id from charge_point order by id';
      const first = native.prepare(sql);
      expect(native.prepare(sql)).toBe(first);
      // One still iterating is not handed out twice.
      const iterating = first as unknown as { iterate(): Iterator<unknown> & { return(): unknown } };
      const cursor = iterating.iterate();
      expect(native.prepare(sql)).not.toBe(first);
      cursor.return();
      expect(native.prepare(sql)).toBe(first);
      // Through the ORM: the same query sees the rows committed in between.
      const conn = orm.em.getConnection();
      const ids = async () => (await conn.execute<{ id: string }[]>(sql)).map((r) => r.id);
      expect(await ids()).toEqual([]);
      await conn.execute(`insert into charge_point (id, security_profile, created_at, updated_at) values ('CP-A', 0, 0, 0)`);
      expect(await ids()).toEqual(['CP-A']);
      await conn.execute(`insert into charge_point (id, security_profile, created_at, updated_at) values ('CP-B', 0, 0, 0)`);
      expect(await ids()).toEqual(['CP-A', 'CP-B']);
      // A schema change after the statement was prepared: SQLite re-prepares it, the new column shows.
      await conn.execute('create table keep_prepared_probe (a integer)');
      await conn.execute('insert into keep_prepared_probe (a) values (1)');
      expect(await conn.execute('select * from keep_prepared_probe')).toEqual([{ a: 1 }]);
      await conn.execute('alter table keep_prepared_probe add column b integer default 2');
      expect(await conn.execute('select * from keep_prepared_probe')).toEqual([{ a: 1, b: 2 }]);
    } finally {
      await orm.close();
      await db.dispose();
    }
  });
});

describe('createOrm: an existing MariaDB server without the database', () => {
  const serverUrl = process.env['CHARGE_IT_TEST_MARIADB_URL'];
  it.runIf(serverUrl)('fails with DATABASE naming the database, and does not create it', async () => {
    const url = new URL(serverUrl!);
    const name = `charge_it_test_missing_${Date.now()}`;
    url.pathname = `/${name}`;
    const err = await errorOf(createOrm({ databaseUrl: url.toString() }));
    expect(isCsmsError(err, CsmsErrorCode.DATABASE)).toBe(true);
    expect((err as Error).message).toContain(`database \`${name}\` does not exist`);
    const reader = await openRawReader(serverUrl!);
    try {
      expect(await reader.scalar(`select count(*) from information_schema.schemata where schema_name = '${name}'`)).toBe(0);
    } finally {
      await reader.close();
    }
  });
});

describe.each(testDatabases())('persistence on $name', (kind) => {
  let db: TestDatabase;
  const orms: CsmsOrm[] = [];
  const open = async (extra: { extraEntities?: (typeof PluginNote)[] } = {}) => {
    const orm = await createOrm({ databaseUrl: db.databaseUrl, ...extra });
    orms.push(orm);
    return orm;
  };

  beforeEach(async () => {
    db = await kind.create();
  });
  afterEach(async () => {
    for (const orm of orms.splice(0)) await orm.close();
    await db.dispose();
  });

  const expectedMigrations = kind.name === 'sqlite' ? sqliteMigrations : mariadbMigrations;

  it('applies the migrations to an empty database, and only once across restarts', async () => {
    expect(expectedMigrations.length).toBeGreaterThan(0);
    let orm = await open();
    const reader = await openRawReader(db.databaseUrl);
    try {
      for (const entity of coreEntities) {
        expect(await reader.scalar(`select count(*) from ${entity.meta.tableName}`)).toBe(0);
      }
      expect(await reader.scalar(`select count(*) from ${MIGRATIONS_TABLE}`)).toBe(expectedMigrations.length);
      await orm.close();
      orms.length = 0;
      orm = await open();
      await orm.close();
      orms.length = 0;
      orm = await open();
      expect(await reader.scalar(`select count(*) from ${MIGRATIONS_TABLE}`)).toBe(expectedMigrations.length);
      expect(await orm.migrator.getPending()).toEqual([]);
      // The entities and the committed migrations agree: nothing left to change.
      const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    } finally {
      await reader.close();
    }
  });

  it('never reuses a transaction id: not after deleting the newest row, not after a restart', async () => {
    let orm = await open();
    let em = orm.em.fork();
    em.create(ChargePointSchema, { id: 'CP-1' });
    const created = [1, 2, 3].map((i) => em.create(TransactionSchema, startData({ meterStart: i })));
    await em.flush();
    const ids = created.map((t) => t.id);
    expect(ids[1]! > ids[0]! && ids[2]! > ids[1]!).toBe(true);
    const newest = ids[2]!;

    await orm.em.fork().nativeDelete(TransactionSchema, { id: newest });
    em = orm.em.fork();
    const afterDelete = em.create(TransactionSchema, startData({ meterStart: 4 }));
    await em.flush();
    expect(afterDelete.id).toBeGreaterThan(newest);

    await orm.em.fork().nativeDelete(TransactionSchema, { id: afterDelete.id });
    await orm.close();
    orms.length = 0;
    orm = await open();
    em = orm.em.fork();
    const afterRestart = em.create(TransactionSchema, startData({ meterStart: 5 }));
    await em.flush();
    expect(afterRestart.id).toBeGreaterThan(afterDelete.id);
  });

  it('rejects a duplicate StartTransaction through the idempotency unique index', async () => {
    const orm = await open();
    const em = orm.em.fork();
    em.create(ChargePointSchema, { id: 'CP-1' });
    em.create(TransactionSchema, startData());
    await em.flush();

    const em2 = orm.em.fork();
    em2.create(TransactionSchema, startData({ startReceivedAt: new Date() }));
    const err = await errorOf(em2.flush());
    expect(err).toBeInstanceOf(UniqueConstraintViolationException);

    // Another meterStart (or connector, idTag, timestamp) is a different session.
    const em3 = orm.em.fork();
    em3.create(TransactionSchema, startData({ meterStart: 1001, status: 'Completed' }));
    await em3.flush();
    expect(await orm.em.fork().count(TransactionSchema)).toBe(2);
  });

  it('stores dates in UTC with millisecond precision and JSON columns as values', async () => {
    const orm = await open();
    const em = orm.em.fork();
    em.create(ChargePointSchema, { id: 'CP-1' });
    const at = new Date('2024-01-02T03:04:05.678Z');
    const tx = em.create(TransactionSchema, startData({ startTimestamp: at, flags: ['clock-skew'] }));
    await em.flush();
    em.create(MeterSampleSchema, {
      transaction: tx.id,
      chargePoint: 'CP-1',
      connectorId: 1,
      timestamp: at,
      receivedAt: at,
      measurand: 'Energy.Active.Import.Register',
      context: 'Sample.Periodic',
      unit: 'Wh',
      value: 1234.5,
    });
    await em.flush();

    const read = await orm.em.fork().findOneOrFail(TransactionSchema, tx.id);
    expect(read.startTimestamp.toISOString()).toBe(at.toISOString());
    expect(read.flags).toEqual(['clock-skew']);
    const sample = await orm.em.fork().findOneOrFail(MeterSampleSchema, { transaction: tx.id });
    expect(sample.value).toBe(1234.5);
    expect(sample.timestamp.getTime()).toBe(at.getTime());
    expect(sample.flags ?? null).toBeNull();

    const reader = await openRawReader(db.databaseUrl);
    try {
      const sql =
        kind.name === 'sqlite'
          ? `select start_timestamp from charge_transaction where id = ${tx.id}`
          : `select timestampdiff(microsecond, '2024-01-02 03:04:05.678', start_timestamp) from charge_transaction where id = ${tx.id}`;
      // SQLite keeps epoch milliseconds; MariaDB's datetime(3) holds the UTC wall time (diff 0).
      expect(await reader.scalar(sql)).toBe(kind.name === 'sqlite' ? at.getTime() : 0);
    } finally {
      await reader.close();
    }
  });

  it('defaults a new transaction to no flags', async () => {
    const orm = await open();
    const em = orm.em.fork();
    em.create(ChargePointSchema, { id: 'CP-1' });
    const tx = em.create(TransactionSchema, startData());
    expect(tx.flags).toEqual([]);
    await em.flush();
    expect((await orm.em.fork().findOneOrFail(TransactionSchema, tx.id)).flags).toEqual([]);
  });

  it('creates plugin tables at start (idempotently) and leaves the core tables to migrations', async () => {
    let orm = await open({ extraEntities: [PluginNote] });
    let em = orm.em.fork();
    em.create(ChargePointSchema, { id: 'CP-1' });
    em.create(PluginNote, { chargePoint: 'CP-1', text: 'hello' });
    await em.flush();
    await orm.close();
    orms.length = 0;
    orm = await open({ extraEntities: [PluginNote] });
    em = orm.em.fork();
    expect((await em.find(PluginNote, {})).map((n) => n.text)).toEqual(['hello']);
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });
});
