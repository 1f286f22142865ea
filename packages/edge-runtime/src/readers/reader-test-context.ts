import { silentLogger, type Logger } from '@charge-it/core/kernel';
import type { CardOutcome, CardPresentation, ReaderContext } from './reader-context.js';

export interface ReaderTestContextOptions {
  /** Answers each presented card instead of the built-in tap rule (e.g. to test how a reader shows a refusal). */
  presentCard?: (card: CardPresentation) => CardOutcome | Promise<CardOutcome>;
  /** Logger handed to the reader. Default: silent. */
  log?: Logger;
}

export interface ReaderTestContext extends ReaderContext {
  /** Every card presented, oldest first. */
  readonly cards: CardPresentation[];
  /** The outcome answered for each card, same order as `cards`. */
  readonly outcomes: CardOutcome[];
  /** Runs the reader's onClose teardowns, last registered first (like the runtime at stop). */
  close(): Promise<void>;
}

/**
 * A stand-in for the edge plugin context in reader unit tests: records presented cards and answers
 * like the runtime's tap rule (first card starts, same card stops, another card is refused), or
 * with `options.presentCard`.
 */
export function createReaderTestContext(options: ReaderTestContextOptions = {}): ReaderTestContext {
  const cards: CardPresentation[] = [];
  const outcomes: CardOutcome[] = [];
  const teardowns: Array<() => void | Promise<void>> = [];
  let active: string | null = null;
  const tapRule = (card: CardPresentation): CardOutcome => {
    if (active === null) {
      active = card.idTag;
      return { result: 'started', connectorId: card.connectorId ?? 1 };
    }
    if (active === card.idTag) {
      active = null;
      return { result: 'stopped', connectorId: card.connectorId ?? 1 };
    }
    return { result: 'refused', reason: 'another card is charging' };
  };
  return {
    cards,
    outcomes,
    log: options.log ?? silentLogger,
    onClose(fn) {
      teardowns.push(fn);
    },
    async presentCard(card): Promise<CardOutcome> {
      cards.push(card);
      const outcome = options.presentCard ? await options.presentCard(card) : tapRule(card);
      outcomes.push(outcome);
      return outcome;
    },
    async close() {
      for (const fn of teardowns.splice(0).reverse()) await fn();
    },
  };
}
