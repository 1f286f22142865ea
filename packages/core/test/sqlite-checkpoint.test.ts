/**
 * SQLite's WAL is checkpointed by a worker thread (WalCheckpointer), not inside a commit of the
 * connection that writes: what is committed reaches the database file itself within about a
 * second, although the writing connection's own threshold (wal_autocheckpoint, 10,000 pages) is
 * nowhere near.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOrm, type CsmsOrm } from '../src/persistence/create-orm.js';
import { ChargePointSchema } from '../src/persistence/entities/index.js';
import { WalCheckpointer } from '../src/persistence/wal-checkpointer.js';

/** Charge points in the database FILE alone: a copy without its -wal holds only what was checkpointed. */
function chargePointsInFile(dir: string, path: string): string[] {
  const copy = join(dir, `copy-${Date.now()}-${Math.random()}.db`);
  copyFileSync(path, copy);
  const db = new DatabaseSync(copy, { readOnly: true });
  try {
    const table = db.prepare("select 1 from sqlite_master where name = 'charge_point'").get();
    if (!table) return []; // not even the migrations are in the file yet
    return (db.prepare('select id from charge_point order by id').all() as Array<{ id: string }>).map((row) => row.id);
  } finally {
    db.close();
  }
}

describe('SQLite WAL checkpoints', () => {
  let dir: string;
  let orm: CsmsOrm | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charge-it-checkpoint-'));
  });
  afterEach(async () => {
    await orm?.close();
    orm = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('copies commits into the database file from the worker, within about a second', async () => {
    const path = join(dir, 'csms.db');
    orm = await createOrm({ databaseUrl: `sqlite:${path}` });
    const em = orm.em.fork();
    for (const id of ['CP-A', 'CP-B', 'CP-C']) em.create(ChargePointSchema, { id });
    await em.flush();
    expect(existsSync(`${path}-wal`)).toBe(true);
    let inFile: string[] = [];
    for (let i = 0; i < 40 && inFile.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      inFile = chargePointsInFile(dir, path);
    }
    expect(inFile).toEqual(['CP-A', 'CP-B', 'CP-C']);
  });

  it('the check above can fail: a commit on a connection of its own stays in the WAL', async () => {
    const path = join(dir, 'plain.db');
    const db = new DatabaseSync(path);
    try {
      db.exec('pragma journal_mode = WAL; create table charge_point (id text primary key)');
      db.exec('pragma wal_checkpoint(TRUNCATE)'); // the table itself is in the file
      db.exec("insert into charge_point (id) values ('CP-A')");
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(chargePointsInFile(dir, path)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('keeps the process alive while the ORM opens and closes: a script that only does that ends with its own exit code', async () => {
    // The worker does not keep the process alive once started (unref); while createOrm waits for
    // it to start, and orm.close() for it to stop, it must, or Node ends the process mid-await
    // with exit code 0 (what a CLI exiting 1 after a close got once).
    const script = join(dir, 'open-close.ts');
    const createOrmSource = fileURLToPath(new URL('../src/persistence/create-orm.ts', import.meta.url));
    await writeFile(
      script,
      `import { createOrm } from ${JSON.stringify(createOrmSource)};\n` +
        `const orm = await createOrm({ databaseUrl: ${JSON.stringify(`sqlite:${join(dir, 'cli.db')}`)} });\n` +
        `console.log('opened');\nawait orm.close();\nconsole.log('closed');\nprocess.exitCode = 3;\n`,
    );
    const hook = fileURLToPath(new URL('../scripts/ts-resolve-hook.mjs', import.meta.url));
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', hook, script], { timeout: 60_000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }),
      );
    });
    expect(result.stdout.trim().split('\n')).toEqual(['opened', 'closed']);
    expect(result.code).toBe(3);
  });

  it('a worker that cannot open the database fails its start (the ORM then goes on without it)', async () => {
    await expect(WalCheckpointer.start(join(dir, 'missing-folder', 'x.db'), { busyTimeoutMs: 100 })).rejects.toThrow();
  });
});
