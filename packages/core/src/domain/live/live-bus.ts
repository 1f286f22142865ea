import type { LiveEvent } from './live-types.js';

/**
 * Carries live events from the live state to its subscribers. The in-process bus is the default;
 * a cluster mode can implement the same two methods over Redis/NATS so that events published in
 * one process reach subscribers in all of them. `publish` must not block: handlers are called
 * synchronously and must only buffer.
 */
export interface LiveBus {
  publish(event: LiveEvent): void;
  /** Returns a function that removes the handler. */
  subscribe(handler: (event: LiveEvent) => void): () => void;
  /**
   * Optional: false when no handler anywhere would receive an event published now, so the live
   * state does not build it (a reconnect storm with nobody watching builds no views). A bus
   * without it is always published to.
   */
  hasSubscribers?(): boolean;
}

/** The default bus: a set of handlers in this process. */
export class InProcessLiveBus implements LiveBus {
  readonly #handlers = new Set<(event: LiveEvent) => void>();

  publish(event: LiveEvent): void {
    for (const handler of this.#handlers) handler(event);
  }

  subscribe(handler: (event: LiveEvent) => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry = (event: LiveEvent) => handler(event);
    this.#handlers.add(entry);
    return () => {
      this.#handlers.delete(entry);
    };
  }

  hasSubscribers(): boolean {
    return this.#handlers.size > 0;
  }

  /** Number of handlers attached (tests: unsubscribing frees everything). */
  get size(): number {
    return this.#handlers.size;
  }
}
