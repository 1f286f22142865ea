/**
 * `@charge-it/core/ocpp16`: the OCPP 1.6J payload types of both directions and the action lists.
 * No runtime dependencies, so the edge runtime (the charge point side) shares them.
 */
export type * from './messages.js';
export type * from './central-system-messages.js';
export { CHARGE_POINT_ACTIONS } from './messages.js';
export { CENTRAL_SYSTEM_ACTIONS } from './central-system-messages.js';
