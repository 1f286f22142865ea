import type { EdgePluginContext } from '../plugins/edge-plugin.js';

export type { CardOutcome, CardPresentation } from '../plugins/card-presentation.js';

/**
 * The part of the edge plugin context a card reader uses. Readers ask for no more than this, so
 * they stay independent of the rest of the runtime and unit tests can pass a small stand-in.
 */
export type ReaderContext = Pick<EdgePluginContext, 'log' | 'onClose' | 'presentCard'>;
