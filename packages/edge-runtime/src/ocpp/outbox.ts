import type { Logger } from '@charge-it/core/kernel';
import { AppendJournal } from '../storage/append-journal.js';
import type { MeterValuesRequest, StartTransactionRequest, StopTransactionRequest } from './ocpp-types.js';

export type TransactionAction = 'StartTransaction' | 'StopTransaction' | 'MeterValues';
/** What an outbox carries: transaction messages, or (in the security events' own outbox) SecurityEventNotification. */
export type OutboxAction = TransactionAction | 'SecurityEventNotification';

/** A SecurityEventNotification request (OCPP 1.6 security whitepaper). */
export interface SecurityEventNotificationRequest {
  type: string;
  timestamp: string;
  techInfo?: string;
}

/**
 * The payload queued for each action. StopTransaction and MeterValues are queued without
 * `transactionId`: it is filled in at send time from `txLocal` (the Start may not be answered yet).
 */
export interface QueuedPayloads {
  StartTransaction: StartTransactionRequest;
  StopTransaction: Omit<StopTransactionRequest, 'transactionId'>;
  MeterValues: Omit<MeterValuesRequest, 'transactionId'>;
  SecurityEventNotification: SecurityEventNotificationRequest;
}

interface OutboxEntryOf<A extends OutboxAction> {
  readonly seq: number;
  readonly action: A;
  /** Payload as queued; `transactionId` is filled in at send time from `txLocal`. */
  readonly payload: QueuedPayloads[A];
  /** Local (provisional) id of the transaction this message belongs to. */
  readonly txLocal?: string;
  /** Transmissions so far (in memory: a restart gives a message a fresh set of attempts). */
  attempts: number;
}

/** A queued message; `entry.action` narrows `entry.payload`. */
export type OutboxEntry = { [A in OutboxAction]: OutboxEntryOf<A> }[OutboxAction];

type AddRecord = { [A in OutboxAction]: { t: 'add'; seq: number; action: A; payload: QueuedPayloads[A]; txLocal?: string } }[OutboxAction];

type JournalRecord =
  | AddRecord
  | { t: 'done'; seq: number; dropped?: boolean }
  | { t: 'txid'; txLocal: string; transactionId: number };

export interface OutboxDeps {
  file: string;
  log: Logger;
  /** Sends one message; resolves with the .conf, rejects on CALLERROR, timeout or disconnect. */
  send(action: OutboxAction, payload: Record<string, unknown>): Promise<unknown>;
  /** Online and allowed to send (boot Accepted). */
  canSend(): boolean;
  /** TransactionMessageAttempts and TransactionMessageRetryInterval (s), read at each failure. */
  retryPolicy(): { attempts: number; intervalS: number };
  /** Told after each acknowledged message (after the journal records it). */
  onDelivered?(entry: OutboxEntry, conf: unknown, transactionId: number | undefined): void;
  /** Told when a message is dropped after its last attempt. */
  onDropped?(entry: OutboxEntry, err: unknown): void;
}

/** Id used for messages of a transaction whose StartTransaction was dropped (never answered). */
export const UNKNOWN_TRANSACTION_ID = -1;

/**
 * Durable, strictly ordered queue of transaction-related messages (S16 §3.7): StartTransaction,
 * StopTransaction and periodic/clock-aligned MeterValues.
 *
 * - Every message is appended to a journal and fsynced before `enqueue` returns.
 * - Delivery is strictly in order, one at a time, only while online and Accepted.
 * - A message leaves the queue only after its .conf ("done" record), so nothing is lost on
 *   SIGKILL; a crash between the .conf and the done record resends it once (the CS dedupes).
 * - A transaction started offline has a local id; when its StartTransaction.conf arrives the real
 *   transactionId is journaled and the later MeterValues/Stop of that transaction carry it.
 * - Failures (CALLERROR, timeout) are retried after interval × transmissions so far; after
 *   TransactionMessageAttempts transmissions the message is dropped and logged. A disconnect is not
 *   a failure: delivery pauses until the next `kick()`.
 * - The journal is compacted on start (only pending messages and the id mappings they need).
 */
export class Outbox {
  readonly #deps: OutboxDeps;
  readonly #journal: AppendJournal<JournalRecord>;
  readonly #queue: OutboxEntry[] = [];
  readonly #txIds = new Map<string, number>();
  #nextSeq = 1;
  /**
   * What the journal (before compaction) says about transactions: StartTransactions without a
   * StopTransaction, and transactions whose StopTransaction is journaled. Used once at start to
   * recover a transaction interrupted by a crash without stopping it twice.
   */
  readonly recovery = { openStarts: new Map<string, StartTransactionRequest>(), stopped: new Set<string>() };
  #running: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  readonly #idleWaiters: Array<() => void> = [];

  constructor(deps: OutboxDeps) {
    this.#deps = deps;
    this.#journal = new AppendJournal<JournalRecord>(deps.file);
    this.#load();
  }

  #load(): void {
    const { records, skipped } = this.#journal.load();
    if (skipped > 0) this.#deps.log.warn({ skipped, file: this.#deps.file }, 'outbox journal had unreadable lines (torn write); ignored them');
    const pending = new Map<number, JournalRecord & { t: 'add' }>();
    let maxSeq = 0;
    for (const r of records) {
      if (r.t === 'add') {
        pending.set(r.seq, r);
        if (r.txLocal && r.action === 'StartTransaction') this.recovery.openStarts.set(r.txLocal, r.payload);
        if (r.txLocal && r.action === 'StopTransaction') this.recovery.stopped.add(r.txLocal);
        maxSeq = Math.max(maxSeq, r.seq);
      } else if (r.t === 'done') pending.delete(r.seq);
      else if (r.t === 'txid') this.#txIds.set(r.txLocal, r.transactionId);
    }
    for (const txLocal of this.recovery.stopped) this.recovery.openStarts.delete(txLocal);
    this.#nextSeq = maxSeq + 1;
    const adds = [...pending.values()].sort((a, b) => a.seq - b.seq);
    const needed = new Set(adds.map((a) => a.txLocal).filter((x): x is string => !!x));
    for (const key of [...this.#txIds.keys()]) if (!needed.has(key)) this.#txIds.delete(key);
    // Compaction: always rewrite, which also removes a torn last line before new appends.
    const compacted: JournalRecord[] = [
      ...[...this.#txIds].map(([txLocal, transactionId]) => ({ t: 'txid' as const, txLocal, transactionId })),
      ...adds,
    ];
    this.#journal.rewrite(compacted);
    for (const a of adds) {
      this.#queue.push({ seq: a.seq, action: a.action, payload: a.payload, ...(a.txLocal ? { txLocal: a.txLocal } : {}), attempts: 0 } as OutboxEntry);
    }
    if (adds.length > 0) this.#deps.log.info({ pending: adds.length }, 'outbox: messages from the previous run are queued');
  }

  /** Appends (fsynced) and starts delivery when possible. */
  enqueue<A extends OutboxAction>(action: A, payload: QueuedPayloads[A], txLocal?: string): OutboxEntry {
    const seq = this.#nextSeq++;
    // (A generic `A` does not narrow the union: the casts restate what the signature guarantees.)
    this.#journal.append({ t: 'add', seq, action, payload, ...(txLocal ? { txLocal } : {}) } as AddRecord);
    const entry = { seq, action, payload, ...(txLocal ? { txLocal } : {}), attempts: 0 } as OutboxEntry;
    this.#queue.push(entry);
    this.kick();
    return entry;
  }

  /** The real transactionId of a local transaction, once its StartTransaction was answered. */
  transactionIdOf(txLocal: string): number | undefined {
    return this.#txIds.get(txLocal);
  }

  get size(): number {
    return this.#queue.length;
  }

  pending(): readonly OutboxEntry[] {
    return this.#queue;
  }

  /** Starts (or wakes) the delivery loop; call it when the link comes up or a retry should run now. */
  kick(): void {
    this.#wake?.();
    if (this.#running || this.#stopped) return;
    this.#running = this.#deliver().finally(() => {
      this.#running = undefined;
      if (this.#queue.length === 0) for (const w of this.#idleWaiters.splice(0)) w();
      // A kick() that came while this loop was ending (after its last canSend() check) was not lost.
      else if (!this.#stopped && this.#deps.canSend()) this.kick();
    });
  }

  /** Resolves when the queue is empty. */
  whenEmpty(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
    this.#journal.close();
  }

  async #deliver(): Promise<void> {
    while (!this.#stopped && this.#queue.length > 0 && this.#deps.canSend()) {
      const entry = this.#queue[0] as OutboxEntry;
      const payload = this.#resolvePayload(entry);
      try {
        entry.attempts++;
        const conf = await this.#deps.send(entry.action, payload);
        let transactionId = typeof payload.transactionId === 'number' ? payload.transactionId : undefined;
        if (entry.action === 'StartTransaction' && entry.txLocal) {
          transactionId = (conf as { transactionId?: number } | undefined)?.transactionId;
          if (typeof transactionId === 'number') {
            this.#txIds.set(entry.txLocal, transactionId);
            // Mapping first: a crash between the two records must not leave later messages without it.
            this.#journal.append({ t: 'txid', txLocal: entry.txLocal, transactionId });
          }
        }
        this.#journal.append({ t: 'done', seq: entry.seq });
        this.#queue.shift();
        this.#deps.onDelivered?.(entry, conf, transactionId);
      } catch (err) {
        if (this.#stopped) return;
        if (!this.#deps.canSend()) {
          // The link dropped: not a failure to process; this transmission does not count.
          entry.attempts--;
          return;
        }
        const { attempts, intervalS } = this.#deps.retryPolicy();
        if (entry.attempts >= Math.max(1, attempts)) {
          this.#deps.log.error(
            { action: entry.action, seq: entry.seq, attempts: entry.attempts, err: String((err as Error)?.message ?? err) },
            'outbox: dropping a transaction message after its last attempt (TransactionMessageAttempts)',
          );
          this.#journal.append({ t: 'done', seq: entry.seq, dropped: true });
          this.#queue.shift();
          if (entry.action === 'StartTransaction' && entry.txLocal && !this.#txIds.has(entry.txLocal)) {
            this.#txIds.set(entry.txLocal, UNKNOWN_TRANSACTION_ID);
            this.#journal.append({ t: 'txid', txLocal: entry.txLocal, transactionId: UNKNOWN_TRANSACTION_ID });
          }
          this.#deps.onDropped?.(entry, err);
          continue;
        }
        const waitMs = intervalS * 1000 * entry.attempts;
        this.#deps.log.warn({ action: entry.action, seq: entry.seq, attempt: entry.attempts, waitMs, err: String((err as Error)?.message ?? err) }, 'outbox: transaction message failed; will retry');
        await this.#sleep(waitMs);
      }
    }
  }

  #resolvePayload(entry: OutboxEntry): Record<string, unknown> {
    if (!entry.txLocal || entry.action === 'StartTransaction') return { ...entry.payload };
    const transactionId = this.#txIds.get(entry.txLocal) ?? UNKNOWN_TRANSACTION_ID;
    return { ...entry.payload, transactionId };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // kick() during a retry wait keeps the wait (the spec's backoff); stop() ends it.
      this.#wake = () => {
        if (this.#stopped) done();
      };
    });
  }
}
