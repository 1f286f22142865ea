export type FeedKind = 'boot' | 'connected' | 'disconnected' | 'fault' | 'status' | 'started' | 'stopped' | 'refused';

export interface FeedItem {
  readonly seq: number;
  readonly at: string;
  readonly kind: FeedKind;
  readonly chargePointId: string;
  readonly connectorId?: number;
  /** Status, boot result, stop reason, error code… (charger-supplied: always escaped when shown). */
  readonly detail?: string;
  readonly transactionId?: number;
  readonly energyWh?: number | null;
  readonly idTag?: string;
}

/**
 * The Dashboard's "recent events" feed: a bounded ring of what the hooks reported since start
 * (boots, connections, faults, status changes, starts, stops, refused cards), pushed to open SSE streams.
 */
export class EventFeed {
  readonly #items: FeedItem[] = [];
  readonly #listeners = new Set<(item: FeedItem) => void>();
  readonly #max: number;
  #seq = 0;

  constructor(max = 100) {
    this.#max = max;
  }

  push(item: Omit<FeedItem, 'seq'>): void {
    const full = Object.freeze({ ...item, seq: ++this.#seq });
    this.#items.unshift(full);
    if (this.#items.length > this.#max) this.#items.length = this.#max;
    for (const listener of this.#listeners) {
      try {
        listener(full);
      } catch {
        // a broken stream must not stop the others
      }
    }
  }

  recent(limit = 30): readonly FeedItem[] {
    return this.#items.slice(0, limit);
  }

  subscribe(listener: (item: FeedItem) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
