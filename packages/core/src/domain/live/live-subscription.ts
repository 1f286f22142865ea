import type { Logger } from '../../kernel/logger.js';
import type { LiveEvent, LiveFilter, LiveListener } from './live-types.js';

/** Most distinct things (charge points, connectors, site) one subscriber may have waiting. */
const MAX_PENDING = 10_000;

/**
 * One subscriber's delivery: a buffer keyed by what an event is about (a charge point, a connector,
 * the site), so a newer state replaces an older one still waiting (latest state wins), delivered
 * after the publisher's turn. A listener that returns a promise gets its next event once that promise
 * settles; a listener that throws is logged and keeps its subscription. Neither slows the publisher.
 */
export class LiveSubscription {
  readonly #listener: LiveListener;
  readonly #filter: LiveFilter;
  readonly #log: Logger;
  readonly #pending = new Map<string, LiveEvent>();
  #immediate: NodeJS.Immediate | undefined;
  #running = false;
  #closed = false;

  constructor(listener: LiveListener, filter: LiveFilter, log: Logger) {
    this.#listener = listener;
    this.#filter = filter;
    this.#log = log;
  }

  /** Buffers an event for this subscriber (called synchronously by the bus). */
  offer(event: LiveEvent): void {
    if (this.#closed || !matches(event, this.#filter)) return;
    const key = keyOf(event);
    this.#pending.delete(key);
    if (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value as string;
      this.#pending.delete(oldest);
    }
    this.#pending.set(key, event);
    this.#schedule();
  }

  /** Events waiting for this subscriber (tests, metrics). */
  get pending(): number {
    return this.#pending.size;
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
  }

  #schedule(): void {
    if (this.#running || this.#immediate || this.#closed) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#closed && this.#pending.size > 0) {
        const [key, event] = this.#pending.entries().next().value as [string, LiveEvent];
        this.#pending.delete(key);
        try {
          const outcome = this.#listener(event);
          if (outcome && typeof (outcome as Promise<void>).then === 'function') await outcome;
        } catch (err) {
          this.#log.warn({ err, event: event.type }, 'live state subscriber threw; it stays subscribed');
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

function keyOf(event: LiveEvent): string {
  if (event.type === 'site') return 'site';
  if (event.type === 'chargePoint') return `cp\u0000${event.chargePoint.id}`;
  return `c\u0000${event.connector.chargePointId}\u0000${event.connector.connectorId}`;
}

/**
 * No filter: everything. `chargePointId`: that charge point's events and its connectors'. With
 * `connectorId` too: that connector's events only (a charge point event would show the others).
 */
export function matches(event: LiveEvent, filter: LiveFilter): boolean {
  const { chargePointId, connectorId } = filter;
  if (chargePointId === undefined && connectorId === undefined) return true;
  if (event.type === 'site') return false;
  if (event.type === 'chargePoint') return connectorId === undefined && event.chargePoint.id === chargePointId;
  const c = event.connector;
  return (chargePointId === undefined || c.chargePointId === chargePointId) && (connectorId === undefined || c.connectorId === connectorId);
}
