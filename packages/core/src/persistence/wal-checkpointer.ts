import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { silentLogger, type Logger } from '../kernel/logger.js';

/** How often the worker checkpoints: about the longest the log grows, and what a power cut may lose. */
const CHECKPOINT_INTERVAL_MS = 1_000;

/**
 * Copies SQLite's write-ahead log back into the database file from a worker thread, on a
 * connection of its own, so that the checkpoint's fsyncs never block the event loop.
 *
 * Without it the connection that commits does the checkpoint itself, inside the commit that crosses
 * `wal_autocheckpoint` (10,000 pages): under a MeterValues flood that is a commit of 200–300 ms
 * every few seconds, most of it waiting for the disk, with every charger's answer waiting behind
 * it. The worker runs `wal_checkpoint(PASSIVE)` once per interval: it copies what it can without
 * waiting for the writer or blocking it, and once it has copied everything the next commit starts
 * the log from its beginning again, so the log stays about one interval long. The connection that
 * commits then never reaches `wal_autocheckpoint`, which stays as the fallback should the worker
 * stop. A checkpoint is also when the log reaches the disk (synchronous=NORMAL), so what a power
 * cut may lose is now about one interval of commits instead of up to 40 MB of log.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /**
   * Starts the worker on the database file `path`; resolves once its connection is open. Rejects
   * when the worker cannot start (the caller goes on without it: the committing connection then
   * checkpoints itself, as SQLite does by default).
   */
  static async start(path: string, options: { busyTimeoutMs: number; log?: Logger }): Promise<WalCheckpointer> {
    const log = options.log ?? silentLogger;
    // better-sqlite3 as @mikro-orm/sqlite loads it (it is that package's dependency, not ours).
    const require = createRequire(import.meta.url);
    const driver = createRequire(require.resolve('@mikro-orm/sqlite')).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, path, intervalMs: CHECKPOINT_INTERVAL_MS, busyTimeoutMs: options.busyTimeoutMs },
      // A few MB are plenty for one connection and a timer.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the WAL checkpoint worker exited during start (code ${code})`)));
      worker.once('message', (message: { type: string }) => (message.type === 'ready' ? resolve() : reject(new Error(`unexpected message ${message.type}`))));
    });
    worker.removeAllListeners();
    worker.unref(); // it must not keep the process alive; `stop()` references it again
    worker.on('message', (message: { type: string; message?: string }) => {
      if (message.type === 'error') log.warn({ error: message.message }, 'WAL checkpoint failed; retried every interval, logged again when the error changes');
      if (message.type === 'recovered') log.info('WAL checkpoints work again');
    });
    worker.on('error', (err) => log.error({ err }, 'the WAL checkpoint worker stopped; the committing connection checkpoints from now on'));
    return new WalCheckpointer(worker);
  }

  /** Stops the worker and closes its connection; resolves once it has exited (idempotent). */
  stop(): Promise<void> {
    // Referenced again while it stops: an unreferenced worker does not keep the process alive, so
    // a caller awaiting its exit with nothing else pending would see the process end (code 0)
    // before the await returns.
    this.#worker.ref();
    this.#worker.postMessage('stop'); // nothing happens if it has exited already
    return this.#exited;
  }
}

/**
 * The worker (CommonJS, evaluated): one connection, one checkpoint per interval. An error is
 * reported when it first occurs or changes, and the recovery once, not every second.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
let failing = null;
const timer = setInterval(() => {
  try {
    checkpoint.get();
    if (failing !== null) parentPort.postMessage({ type: 'recovered' });
    failing = null;
  } catch (err) {
    const message = String((err && err.message) || err);
    if (message !== failing) parentPort.postMessage({ type: 'error', message });
    failing = message;
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage({ type: 'ready' });
`;
