import { silentLogger } from '@charge-it/core/kernel';
import type { CardOutcome, CardPresentation, ReaderContext } from './reader-context.js';

/**
 * A stand-in for the edge plugin context in reader unit tests: records presented cards and answers
 * like the runtime's tap rule (first card starts, same card stops, another card is refused).
 */
export function createReaderTestContext(): ReaderContext & { cards: CardPresentation[]; close(): Promise<void> } {
  const cards: CardPresentation[] = [];
  const teardowns: Array<() => void | Promise<void>> = [];
  let active: string | null = null;
  return {
    cards,
    log: silentLogger,
    onClose(fn) {
      teardowns.push(fn);
    },
    async presentCard(card): Promise<CardOutcome> {
      cards.push(card);
      if (active === null) {
        active = card.idTag;
        return { result: 'started', connectorId: card.connectorId ?? 1 };
      }
      if (active === card.idTag) {
        active = null;
        return { result: 'stopped', connectorId: card.connectorId ?? 1 };
      }
      return { result: 'refused', reason: 'another card is charging' };
    },
    async close() {
      for (const fn of teardowns.reverse()) await fn();
    },
  };
}
