import { defineEdgePlugin } from '../plugins/edge-plugin.js';
import type { CardOutcome, ReaderContext } from './reader-context.js';
import { normalizeUid } from './normalize-uid.js';

export interface SimulatedReaderOptions {
  /** Cards this simulated driver carries; `tapRandom()` picks one. Default ['SIMCARD01']. */
  cards?: string[];
  /** Connector the reader belongs to (omit: the runtime picks). */
  connectorId?: number;
  /** Plugin name; default 'simulated-reader'. */
  name?: string;
}

export interface SimulatedReaderPlugin {
  readonly name: string;
  setup(ctx: ReaderContext): void;
  /** Presents a card as if tapped; resolves with the runtime's decision. */
  tap(idTag: string, connectorId?: number): Promise<CardOutcome>;
  /** Taps one of `cards` at random. */
  tapRandom(random?: () => number): Promise<CardOutcome>;
  readonly cards: readonly string[];
}

/**
 * A card reader for tests, demos and the simulator: nothing is read from hardware, `tap()` presents
 * a card through the same path a real reader uses (`presentCard`).
 */
export function simulatedReader(options: SimulatedReaderOptions = {}): SimulatedReaderPlugin {
  const cards = (options.cards ?? ['SIMCARD01']).map((c) => normalizeUid(c) ?? c);
  let ctx: ReaderContext | null = null;
  const name = options.name ?? 'simulated-reader';
  const plugin: SimulatedReaderPlugin = defineEdgePlugin({
    name,
    cards,
    setup(context) {
      ctx = context;
      context.onClose(() => {
        ctx = null;
      });
    },
    async tap(idTag, connectorId = options.connectorId) {
      if (!ctx) throw new Error(`${name}: not started; pass it in the charge point's plugins and start the charge point before tap()`);
      const uid = normalizeUid(idTag);
      if (uid === null) return { result: 'ignored', reason: `"${idTag}" cannot be an idTag (1-20 printable characters)` };
      return ctx.presentCard({ idTag: uid, source: name, ...(connectorId === undefined ? {} : { connectorId }) });
    },
    tapRandom(random = Math.random) {
      const card = cards[Math.floor(random() * cards.length)] ?? cards[0]!;
      return plugin.tap(card);
    },
  });
  return plugin;
}
