import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { CardDebouncer } from './card-debouncer.js';
import { normalizeUid } from './normalize-uid.js';
import { defineEdgePlugin } from '../plugins/edge-plugin.js';
import type { CardOutcome, ReaderContext } from './reader-context.js';

export interface StdinReaderOptions {
  /** Where lines come from; default process.stdin (a USB HID reader types into it). */
  input?: Readable;
  /** Connector the reader belongs to (omit: the runtime picks). */
  connectorId?: number;
  /** The same card again within this time counts as the same tap. Default 2000 ms. */
  debounceMs?: number;
  /** Plugin name; default 'stdin-reader'. */
  name?: string;
  /** Clock for the debounce (tests). */
  now?: () => number;
  /** Lines for someone else on the same stream (e.g. `plug 1` cable commands): not cards. */
  ignoreLine?: (line: string) => boolean;
  /** Called after each presentation (the CLI prints it; tests await it). */
  onOutcome?: (idTag: string, outcome: CardOutcome) => void;
}

export interface StdinReaderPlugin {
  readonly name: string;
  setup(ctx: ReaderContext): void;
}

/**
 * A keyboard-wedge card reader: USB HID RFID readers type the UID followed by Enter, so each line
 * on stdin (or the given stream) is a tap. Lines are normalised into idTags, repeats of the same
 * card within `debounceMs` are dropped, and cards are presented one after the other in order.
 */
export function stdinReader(options: StdinReaderOptions = {}): StdinReaderPlugin {
  const name = options.name ?? 'stdin-reader';
  return defineEdgePlugin({
    name,
    setup(ctx: ReaderContext) {
      const input = options.input ?? process.stdin;
      const debouncer = new CardDebouncer(options.debounceMs ?? 2000, options.now);
      const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
      let chain: Promise<void> = Promise.resolve();
      let closed = false;

      lines.on('line', (line) => {
        if (line.trim() === '' || options.ignoreLine?.(line)) return;
        const idTag = normalizeUid(line);
        if (idTag === null) {
          ctx.log.warn({ reader: name, length: line.length }, 'ignored input that cannot be an idTag (1-20 printable characters)');
          return;
        }
        if (!debouncer.accept(idTag)) {
          ctx.log.debug({ reader: name, idTag }, 'same card again within the debounce window; ignored');
          return;
        }
        chain = chain.then(async () => {
          if (closed) return;
          try {
            const outcome = await ctx.presentCard({
              idTag,
              source: name,
              ...(options.connectorId === undefined ? {} : { connectorId: options.connectorId }),
            });
            ctx.log.info({ reader: name, idTag, ...outcome }, `card ${outcome.result}`);
            options.onOutcome?.(idTag, outcome);
          } catch (err) {
            ctx.log.error({ reader: name, idTag, err }, 'presenting the card failed');
          }
        });
      });

      ctx.onClose(async () => {
        closed = true;
        // Closing readline pauses the stream, so process.stdin no longer keeps the process alive.
        lines.close();
        await chain;
      });
    },
  });
}
