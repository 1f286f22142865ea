import type { EntityManager } from '@mikro-orm/core';
import { silentLogger, type Logger } from '../kernel/logger.js';
import type { CsmsEntityManager } from './create-orm.js';
import { MeterSampleInboxSchema, MeterSampleSchema, type MeterSample, type MeterSampleInbox } from './entities/meter-sample.js';
import type { BatchWriter, WriteBatcher } from './write-batcher.js';

/** A sample row as both tables take it (the inbox's `transaction` is the plain id). */
export type MeterSampleRow = Partial<MeterSampleInbox>;

export interface SampleInboxDeps {
  batcher: WriteBatcher;
  log?: Logger;
  /** How long new samples may wait in the inbox before they are moved (default 1,000 ms). */
  intervalMs?: number;
  /**
   * False: samples are written straight to `meter_sample` and nothing is moved (MariaDB, where the
   * index pages are written by the database server, not by this process: an inbox only added work
   * there). Default true.
   */
  enabled?: boolean;
}

/**
 * On SQLite, new meter samples are written to `meter_sample_inbox` (no secondary index: a commit
 * appends to one or two pages) and moved into `meter_sample` (indexed by transaction) in arrival
 * order, many commits' worth at once, so each transaction's index page is written once per move
 * instead of once per commit. See docs/persistence.md "The sample inbox".
 *
 * Readers never see the inbox: whatever reads `meter_sample` first calls `settle()` (outside the
 * write batcher) or `moveInto(em)` (inside a batch work), so every sample acknowledged to a charger
 * before the read is in `meter_sample`.
 */
export class SampleInbox {
  readonly #batcher: WriteBatcher;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #enabled: boolean;
  /** Samples may be in the inbox (at start: a crash may have left some). */
  #unsettled: boolean;
  /** The last move queued: a reader arriving while it runs waits for it. */
  #lastMove: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(deps: SampleInboxDeps) {
    this.#batcher = deps.batcher;
    this.#log = deps.log ?? silentLogger;
    this.#intervalMs = Math.max(1, deps.intervalMs ?? 1_000);
    this.#enabled = deps.enabled !== false;
    this.#unsettled = this.#enabled;
  }

  /**
   * Queues a new sample as a row of the batch (`rows`): into the inbox, moved within `intervalMs`,
   * or straight into meter_sample when the inbox is not used.
   */
  write(rows: BatchWriter, sample: MeterSampleRow): void {
    if (!this.#enabled) {
      // The same columns under the same property names; only the inbox's `transaction` is a plain id.
      rows.insert(MeterSampleSchema, sample as Partial<MeterSample>);
      return;
    }
    rows.insert(MeterSampleInboxSchema, sample);
    this.#unsettled = true;
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.settle().catch((err: unknown) => this.#log.error({ err }, 'meter samples could not be moved from the inbox; retried with the next samples or read'));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Resolves once every sample committed before the call is in `meter_sample`. Outside the write
   * batcher only (a batch work that awaits it would wait for itself): inside a work use `moveInto`.
   */
  settle(): Promise<void> {
    if (!this.#unsettled) return this.#lastMove;
    this.#unsettled = false;
    this.#lastMove = this.#batcher.run((em) => this.moveInto(em)).then(
      () => undefined,
      (err: unknown) => {
        this.#unsettled = true;
        throw err;
      },
    );
    return this.#lastMove;
  }

  /** Moves the inbox into `meter_sample` inside the work's transaction; returns the rows moved. */
  async moveInto(entityManager: EntityManager): Promise<number> {
    if (!this.#enabled) return 0;
    const em = entityManager as CsmsEntityManager;
    const connection = em.getConnection();
    const ctx: unknown = em.getTransactionContext(); // MikroORM types it any
    const [row] = await connection.execute<{ last: number | string | null }[]>(`select max(id) as last from ${INBOX}`, [], 'all', ctx);
    if (row?.last == null) return 0;
    const columns = sampleColumnsOf(em);
    const last = Number(row.last);
    await connection.execute(`insert into ${TABLE} (${columns}) select ${columns} from ${INBOX} where id <= ? order by id`, [last], 'run', ctx);
    const deleted = await connection.execute<{ affectedRows?: number; changes?: number }>(`delete from ${INBOX} where id <= ?`, [last], 'run', ctx);
    return Number(deleted.affectedRows ?? deleted.changes ?? 0);
  }

  /** Stops the timer and moves what is left (the inbox is durable: this only leaves it empty). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.settle().catch((err: unknown) => this.#log.warn({ err }, 'meter samples left in the inbox at close; moved at the next start'));
  }
}

const TABLE = '`meter_sample`';
const INBOX = '`meter_sample_inbox`';

let columnList: string | undefined;

/** The columns both tables have (every stored column of meter_sample but its id), quoted. */
function sampleColumnsOf(em: CsmsEntityManager): string {
  if (columnList) return columnList;
  const inbox = new Set(em.getMetadata().find(MeterSampleInboxSchema as never)!.props.flatMap((prop) => prop.fieldNames ?? []));
  const fields = em
    .getMetadata()
    .find(MeterSampleSchema as never)!
    .props.filter((prop) => !prop.primary && prop.persist !== false)
    .flatMap((prop) => prop.fieldNames ?? [])
    .filter((field) => inbox.has(field));
  columnList = fields.map((field) => `\`${field}\``).join(', ');
  return columnList;
}
