import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { CsmsErrorCode, isCsmsError } from '../src/kernel/errors.js';
import { createOrm, type CsmsEntityManager, type CsmsOrm } from '../src/persistence/create-orm.js';
import { ChargePointSchema, ConnectorSchema, MeterSampleSchema, StatusEventSchema, TransactionSchema } from '../src/persistence/entities/index.js';
import { WriteBatcher } from '../src/persistence/write-batcher.js';
import { silentLogger } from '../src/kernel/logger.js';
import { testDatabases, type TestDatabase } from './support/databases.js';
import { deferred } from '../src/testing/deferred.js';

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}
import { openRawReader, type RawReader } from './support/raw-reader.js';

function statusEvent(em: CsmsEntityManager, connectorId: number, info = `n${connectorId}`) {
  return em.create(StatusEventSchema, {
    chargePoint: 'CP-1',
    connectorId,
    status: 'Available',
    errorCode: 'NoError',
    info,
    receivedAt: new Date(),
  });
}

describe.each(testDatabases())('WriteBatcher on $name', (kind) => {
  let db: TestDatabase;
  let orm: CsmsOrm;
  let reader: RawReader;
  let batcher: WriteBatcher;

  beforeEach(async () => {
    db = await kind.create();
    orm = await createOrm({ databaseUrl: db.databaseUrl });
    const em = orm.em.fork();
    em.create(ChargePointSchema, { id: 'CP-1' });
    await em.flush();
    reader = await openRawReader(db.databaseUrl);
    batcher = new WriteBatcher({ orm });
  });

  afterEach(async () => {
    await batcher.close();
    await reader.close();
    await orm.close();
    await db.dispose();
  });

  it('commits concurrent works in one batch and resolves each only after the commit', async () => {
    const ems = new Set<CsmsEntityManager>();
    const visibleAtResolve: number[] = [];
    const count = 50;
    const promises = Array.from({ length: count }, (_, i) =>
      batcher
        .run((em) => {
          ems.add(em);
          statusEvent(em, i);
          return i;
        })
        .then(async (result) => {
          // SQLite: a synchronous read on a separate connection, so nothing can commit in between.
          visibleAtResolve[result] = reader.scalarSync
            ? reader.scalarSync('select count(*) from status_event')
            : await reader.scalar('select count(*) from status_event');
          return result;
        }),
    );
    expect(await Promise.all(promises)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(ems.size).toBe(1); // one batch: every work got the same transactional entity manager
    expect(visibleAtResolve.every((n) => n === count)).toBe(true);
  });

  it('gives works generated ids when they flush, and later works see earlier entities', async () => {
    const [txId, sameTx] = await Promise.all([
      batcher.run(async (em) => {
        const tx = em.create(TransactionSchema, {
          chargePoint: 'CP-1',
          connectorId: 1,
          idTag: 'TAG1',
          idTagStatus: 'Accepted',
          meterStart: 0,
          startTimestamp: new Date(),
          startReceivedAt: new Date(),
          status: 'Active',
        });
        await em.flush();
        return tx.id;
      }),
      batcher.run(async (em) => {
        // Finds the transaction the previous work created, in the same open transaction.
        const tx = await em.findOneOrFail(TransactionSchema, { chargePoint: 'CP-1', status: 'Active' });
        em.create(MeterSampleSchema, {
          transaction: tx.id,
          chargePoint: 'CP-1',
          connectorId: 1,
          timestamp: new Date(),
          receivedAt: new Date(),
          measurand: 'Energy.Active.Import.Register',
          context: 'Sample.Periodic',
          unit: 'Wh',
          value: 10,
        });
        return tx.id;
      }),
    ]);
    expect(typeof txId).toBe('number');
    expect(sameTx).toBe(txId);
    expect(await reader.scalar(`select count(*) from meter_sample where transaction_id = ${txId}`)).toBe(1);
  });

  it('fails only the bad work; the others of its batch land', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        batcher.run((em) => {
          statusEvent(em, i);
          if (i === 4) throw new Error('boom');
          return i;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, (_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
    expect((results[4] as PromiseRejectedResult).reason).toHaveProperty('message', 'boom');
    expect(await reader.scalar('select count(*) from status_event')).toBe(9);
    expect(await reader.scalar('select count(*) from status_event where connector_id = 4')).toBe(0);
  });

  it('resolves a unique-constraint race on the one-by-one retry', async () => {
    const insertConnector = (info: string) =>
      batcher.run(async (em) => {
        const existing = await em.findOne(ConnectorSchema, { chargePoint: 'CP-1', connectorId: 1 });
        if (existing) return 'existing';
        em.create(ConnectorSchema, { chargePoint: 'CP-1', connectorId: 1, status: 'Available', info });
        return 'inserted';
      });
    const blindInsert = () =>
      batcher.run((em) => {
        em.create(ConnectorSchema, { chargePoint: 'CP-1', connectorId: 1, status: 'Faulted' });
        return 'inserted';
      });
    const other = batcher.run((em) => statusEvent(em, 7).connectorId);
    const results = await Promise.allSettled([insertConnector('a'), blindInsert(), insertConnector('b'), other]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'inserted' });
    expect(results[1]!.status).toBe('rejected');
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueConstraintViolationException);
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'existing' });
    expect(results[3]).toEqual({ status: 'fulfilled', value: 7 });
    expect(await reader.scalar('select count(*) from connector')).toBe(1);
    expect(await reader.scalar(`select count(*) from connector where info = 'a'`)).toBe(1);
  });

  it('applies works in submission order, across batches and retries', async () => {
    const ran: number[] = [];
    const small = new WriteBatcher({ orm, maxBatch: 7 });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          small.run((em) => {
            ran.push(i);
            statusEvent(em, i);
            if (i === 20) throw new Error('bad work');
            return i;
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    } finally {
      await small.close();
    }
    // Each attempt of a batch runs its works in order; the last run of each work is the one that counted.
    const lastRun = new Map<number, number>();
    ran.forEach((work, position) => lastRun.set(work, position));
    const order = [...lastRun.entries()].sort((a, b) => a[1] - b[1]).map(([work]) => work);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // And the rows were inserted in that order (ids increase with submission order).
    const em = orm.em.fork();
    const rows = await em.find(StatusEventSchema, {}, { orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.connectorId)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 20));
  });

  it('batches at most 100 works on SQLite and 500 on MariaDB by default', async () => {
    const sizes: number[] = [];
    const defaults = new WriteBatcher({ orm, onBatch: ({ works }) => sizes.push(works) });
    const row = (connectorId: number) => ({ chargePoint: 'CP-1', connectorId, status: 'Available', errorCode: 'NoError', receivedAt: new Date() });
    try {
      // 1,100 row-only works queued at once: a batch goes as soon as it is full.
      await Promise.all(Array.from({ length: 1_100 }, (_, i) => defaults.write((rows) => rows.insert(StatusEventSchema, row(i)))));
    } finally {
      await defaults.close();
    }
    expect(sizes).toEqual(kind.name === 'sqlite' ? Array.from({ length: 11 }, () => 100) : [500, 500, 100]);
    expect(await reader.scalar('select count(*) from status_event')).toBe(1_100);
  });

  it('commits a batch of independent works alongside another one on MariaDB only, never alongside other works', async () => {
    const gate = deferred();
    const order: string[] = [];
    // A batch of one independent work, held open until the gate opens.
    const first = batcher.run(async (em) => {
      statusEvent(em, 1, 'first');
      await gate.promise;
      return 'first';
    }, { independent: true }).then((v) => order.push(v));
    await until(() => batcher.runningBatches === 1);
    const second = batcher.run((em) => statusEvent(em, 2, 'second').info, { independent: true }).then((v) => order.push(v!));
    if (kind.name === 'mariadb') {
      // Its own batch on another connection: committed while the first is still open.
      await second;
      expect(await reader.scalar(`select count(*) from status_event where info = 'second'`)).toBe(1);
      expect(order).toEqual(['second']);
    } else {
      // SQLite has one writer: the second waits for the first batch.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(order).toEqual([]);
    }
    // A work that is not independent waits for every batch in flight, and independent works
    // queued behind it wait for it.
    const third = batcher.run((em) => statusEvent(em, 3, 'third').info).then((v) => order.push(v!));
    const fourth = batcher.run((em) => statusEvent(em, 4, 'fourth').info, { independent: true }).then((v) => order.push(v!));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).not.toContain('third');
    expect(order).not.toContain('fourth');
    gate.resolve();
    await Promise.all([first, second, third, fourth]);
    expect(order.indexOf('third')).toBeGreaterThan(order.indexOf('first'));
    expect(order.indexOf('fourth')).toBeGreaterThan(order.indexOf('first'));
    expect(await reader.scalar('select count(*) from status_event')).toBe(4);
  });

  it('a failing independent batch is retried work by work; the others land', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        batcher.run((em) => {
          if (i === 4) throw new Error('bad sample');
          return statusEvent(em, i).connectorId;
        }, { independent: true }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(await reader.scalar('select count(*) from status_event')).toBe(9);
  });

  it('drain() and close() wait for queued work; close() refuses new work', async () => {
    const slow = new WriteBatcher({ orm, maxDelayMs: 50 });
    const settled: number[] = [];
    const works = Array.from({ length: 5 }, (_, i) =>
      slow.run((em) => statusEvent(em, i).connectorId).then((v) => settled.push(v)),
    );
    await slow.drain();
    expect(settled.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await reader.scalar('select count(*) from status_event')).toBe(5);

    const late = slow.run((em) => statusEvent(em, 9).connectorId);
    await slow.close();
    expect(await late).toBe(9);
    expect(await reader.scalar('select count(*) from status_event')).toBe(6);
    const refused = await slow.run(() => 1).catch((err: unknown) => err);
    expect(isCsmsError(refused, CsmsErrorCode.CLOSED)).toBe(true);
    await Promise.all(works);
  });

  it('upserts: one row per key, the later row of a batch wins, an existing row keeps what is not updated, and the inserts of the batch may reference upserted rows', async () => {
    const em0 = orm.em.fork();
    em0.create(ChargePointSchema, { id: 'CP-2', vendor: 'Old', securityProfile: 1 });
    await em0.flush();
    const boot = (id: string, vendor: string) =>
      batcher.run((_em, rows) => {
        rows.upsert(ChargePointSchema, { id, vendor, model: 'M', createdAt: new Date(), updatedAt: new Date() }, { conflict: ['id'], update: ['vendor', 'model', 'updatedAt'] });
      });
    const status = (id: string, connectorId: number, info: string) =>
      batcher.run((em, rows) => {
        rows.upsert(ConnectorSchema, { chargePoint: id, connectorId, status: 'Available', errorCode: 'NoError', info, updatedAt: new Date() }, {
          conflict: ['chargePoint', 'connectorId'],
          update: ['status', 'errorCode', 'info', 'updatedAt'],
        });
        rows.insert(StatusEventSchema, { chargePoint: id, connectorId, status: 'Available', errorCode: 'NoError', info, receivedAt: new Date() });
        return em;
      });
    // Queued together: one batch (and twice the same key in it).
    await Promise.all([boot('CP-2', 'First'), boot('CP-3', 'New'), boot('CP-2', 'Second'), status('CP-3', 1, 'a'), status('CP-3', 1, 'b'), status('CP-3', 2, 'c')]);
    expect(await reader.scalar("select count(*) from charge_point where id in ('CP-2', 'CP-3')")).toBe(2);
    expect(await reader.scalar("select count(*) from charge_point where id = 'CP-2' and vendor = 'Second' and security_profile = 1")).toBe(1);
    expect(await reader.scalar("select count(*) from charge_point where id = 'CP-3' and vendor = 'New'")).toBe(1);
    expect(await reader.scalar("select count(*) from connector where charge_point_id = 'CP-3'")).toBe(2);
    expect(await reader.scalar("select count(*) from connector where charge_point_id = 'CP-3' and connector_id = 1 and info = 'b'")).toBe(1);
    expect(await reader.scalar("select count(*) from status_event where charge_point_id = 'CP-3'")).toBe(3);
    // A later batch updates the same rows in place (the statement is reused on SQLite).
    await boot('CP-3', 'Third');
    expect(await reader.scalar("select count(*) from charge_point where id = 'CP-3' and vendor = 'Third'")).toBe(1);
  });

  it('writes many meter samples of many works with one flush', async () => {
    const samples = 20;
    const works = Array.from({ length: 30 }, (_, w) =>
      batcher.run((em) => {
        for (let s = 0; s < samples; s++) {
          em.create(MeterSampleSchema, {
            transaction: null,
            chargePoint: 'CP-1',
            connectorId: 0,
            timestamp: new Date(),
            receivedAt: new Date(),
            measurand: 'Power.Active.Import',
            context: 'Sample.Periodic',
            unit: 'W',
            value: w * 1000 + s,
          });
        }
        return w;
      }),
    );
    await Promise.all(works);
    expect(await reader.scalar('select count(*) from meter_sample')).toBe(30 * samples);
  });
  describe('row-only works (write)', () => {
    const eventRow = (connectorId: number, info = `r${connectorId}`) => ({ chargePoint: 'CP-1', connectorId, status: 'Available', errorCode: 'NoError', info, receivedAt: new Date() });

    it('commits a batch of them without an entity manager, each resolved only after the commit', async () => {
      const fork = vi.spyOn(orm.em, 'fork');
      const visibleAtResolve: number[] = [];
      const count = 40;
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          batcher
            .write((rows) => {
              rows.insert(StatusEventSchema, eventRow(i));
              return i;
            }, { independent: true })
            .then(async (result) => {
              visibleAtResolve.push(reader.scalarSync ? reader.scalarSync('select count(*) from status_event') : await reader.scalar('select count(*) from status_event'));
              return result;
            }),
        ),
      );
      expect(results).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(visibleAtResolve.every((n) => n === count)).toBe(true);
      // SQLite: a native transaction; MariaDB: one INSERT in autocommit. Neither forks the ORM.
      expect(fork).not.toHaveBeenCalled();
      fork.mockRestore();
    });

    it('a batch of more rows than one statement takes (16 on SQLite) keeps every row with its own values, in order', async () => {
      const count = 37; // 16 + 16 + 5
      const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          batcher.write((rows) => rows.insert(StatusEventSchema, { ...eventRow(i), info: i % 2 ? `odd ${i}` : null, receivedAt: at(i) }), { independent: true }),
        ),
      );
      const stored = await orm.em.fork().find(StatusEventSchema, {}, { orderBy: { id: 'asc' } });
      expect(stored.map((e) => [e.connectorId, e.info, e.receivedAt.toISOString()])).toEqual(
        Array.from({ length: count }, (_, i) => [i, i % 2 ? `odd ${i}` : null, at(i).toISOString()]),
      );
    });

    it('rows that leave different nullable columns empty, in runs and alternating, are each stored with exactly their own values', async () => {
      // On SQLite each run of rows with the same empty columns is one statement without them.
      const at = new Date(Date.UTC(2026, 0, 1));
      const sample = (i: number) => {
        const shape = i < 20 ? 0 : i < 24 ? 1 : i % 3;
        return {
          chargePoint: 'CP-1',
          connectorId: 1,
          timestamp: new Date(at.getTime() + i * 1000),
          receivedAt: at,
          measurand: 'Energy.Active.Import.Register',
          phase: shape === 1 ? 'L1' : null,
          location: null,
          context: 'Sample.Periodic',
          unit: 'Wh',
          value: shape === 2 ? null : i * 10,
          rawValue: shape === 2 ? `raw ${i}` : null,
          format: shape === 2 ? 'SignedData' : null,
          flags: shape === 1 ? ['sample-clock-skew'] : null,
        };
      };
      const count = 40;
      await Promise.all(Array.from({ length: count }, (_, i) => batcher.write((rows) => rows.insert(MeterSampleSchema, sample(i)), { independent: true })));
      const stored = await orm.em.fork().find(MeterSampleSchema, {}, { orderBy: { id: 'asc' } });
      const fields = (s: ReturnType<typeof sample>) => [s.timestamp.toISOString(), s.phase, s.location, s.value, s.rawValue, s.format, s.flags, s.chargePoint];
      expect(stored.map((s) => fields({ ...s, chargePoint: s.chargePoint, value: s.value == null ? null : Number(s.value) } as ReturnType<typeof sample>))).toEqual(
        Array.from({ length: count }, (_, i) => fields(sample(i))),
      );
    });

    it('a failing batch of them is rolled back and retried work by work: only the bad one fails', async () => {
      const warn = vi.fn();
      const logged = new WriteBatcher({ orm, log: { ...silentLogger, warn } });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          logged.write((rows) => {
            // status is NOT NULL: the database refuses this row, and with it the whole first attempt.
            rows.insert(StatusEventSchema, i === 6 ? { ...eventRow(i), status: null as unknown as string } : eventRow(i));
            return i;
          }),
        ),
      );
      await logged.close();
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, (_, i) => (i === 6 ? 'rejected' : 'fulfilled')));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(await reader.scalar('select count(*) from status_event')).toBe(9);
      expect(await reader.scalar('select count(*) from status_event where connector_id = 6')).toBe(0);
    });

    it('a work that reads earlier writes (readsEarlierWrites) starts a batch of its own and sees the rows queued before it', async () => {
      const batches: number[] = [];
      const observed = new WriteBatcher({ orm, onBatch: ({ works }) => batches.push(works) });
      const count = (em: CsmsEntityManager) => em.count(StatusEventSchema, { info: 'queued' });
      const [, , blind, seeing] = await Promise.all([
        observed.write((rows) => rows.insert(StatusEventSchema, eventRow(1, 'queued'))),
        observed.write((rows) => rows.insert(StatusEventSchema, eventRow(2, 'queued'))),
        observed.run(count), // in the rows' batch: they are written after its works
        observed.run(count, { readsEarlierWrites: true }),
      ]);
      await observed.close();
      expect(blind).toBe(0);
      expect(seeing).toBe(2);
      expect(batches).toEqual([3, 1]);
    });

    it('updates: written with the rows, and in a batch with ORM works read by the works after it', async () => {
      const em0 = orm.em.fork();
      const tx = em0.create(TransactionSchema, { chargePoint: 'CP-1', connectorId: 1, idTag: 'TAG1', idTagStatus: 'Accepted', meterStart: 0, startTimestamp: new Date(), startReceivedAt: new Date(), status: 'Active' });
      await em0.flush();
      // Alone: a batch of row-only works.
      await batcher.write((rows) => rows.update(TransactionSchema, tx.id, { flags: ['first'] }));
      expect((await orm.em.fork().findOneOrFail(TransactionSchema, tx.id)).flags).toEqual(['first']);
      // Queued together with an ORM work that reads the row after it: it sees the update.
      const [, seen] = await Promise.all([
        batcher.write((rows) => rows.update(TransactionSchema, tx.id, { flags: ['first', 'second'] })),
        batcher.run(async (em) => (await em.findOneOrFail(TransactionSchema, tx.id)).flags),
      ]);
      expect(seen).toEqual(['first', 'second']);
    });

    // SQLite only: MariaDB gives every transaction a connection of its own.
    if (kind.name === 'sqlite') it('leaves a transaction open on the SQLite connection alone and waits for it', async () => {
      const warn = vi.fn();
      const logged = new WriteBatcher({ orm, log: { ...silentLogger, warn } });
      const gate = deferred<void>();
      const inside = deferred<void>();
      const outer = orm.em.fork().transactional(async (em) => {
        statusEvent(em, 100, 'outer');
        await em.flush();
        inside.resolve();
        await gate.promise;
      });
      await inside.promise;
      const row = logged.write((rows) => rows.insert(StatusEventSchema, eventRow(1, 'row')));
      await new Promise((resolve) => setTimeout(resolve, 20));
      gate.resolve();
      await Promise.all([outer, row]);
      await logged.close();
      expect(warn).not.toHaveBeenCalled();
      expect(await reader.scalar("select count(*) from status_event where info in ('outer', 'row')")).toBe(2);
    });
  });
});
