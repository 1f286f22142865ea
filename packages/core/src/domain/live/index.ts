export type {
  LiveSnapshot,
  LiveSite,
  LiveChargePoint,
  LiveConnector,
  LiveSession,
  LiveSessionSummary,
  LiveEvent,
  LiveFilter,
  LiveListener,
  LiveStateService,
} from './live-types.js';
export { LiveState, type LiveStateOptions, type LiveStateDeps, type LiveTransactionStart, type LiveTransactionStop, type LiveRestoreData } from './live-state.js';
export { InProcessLiveBus, type LiveBus } from './live-bus.js';
export { maskIdTag } from './mask-id-tag.js';
export { toPublicConnectorView, type PublicConnectorView, type PublicSessionView, type PublicSessionSummary } from './public-connector-view.js';
export { readLiveState } from './read-live-state.js';
export { liveHookHandlers } from './live-hooks.js';
