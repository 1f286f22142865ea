export { simulatedReader, type SimulatedReaderOptions, type SimulatedReaderPlugin } from './simulated-reader.js';
export { stdinReader, type StdinReaderOptions, type StdinReaderPlugin } from './stdin-reader.js';
export { normalizeUid } from './normalize-uid.js';
export { CardDebouncer } from './card-debouncer.js';
export type { CardOutcome, CardPresentation, ReaderContext } from './reader-context.js';
export { readersFromConfig, type ReaderConfig } from './readers-from-config.js';
