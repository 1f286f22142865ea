/**
 * The data layout in the Realtime Database (version 1). Documented in the README; the driver page
 * and database.rules.json depend on it. A breaking change gets a new root (`/v2/...`).
 *
 * ```
 * /v1/stations/{stationKey}
 *     chargePointId   "CP-1"                     the OCPP identity
 *     online          true | false               websocket connected to the central system
 *     updatedAt       ISO time                   of the last station-level change
 *     connectors/{connectorId}                   PublicConnectorView of @charge-it/core, the same JSON
 *                                                as GET /public/v1/connectors/{cp}/{connectorId}
 *         chargePointId, connectorId, status, since,
 *         session      { transactionId, idTagMasked, startedAt, durationS, energyWh, powerW,
 *                        socPercent, costIdr, updatedAt }     (absent when no session runs)
 *         lastSession  { transactionId, idTagMasked, startedAt, stoppedAt, durationS, energyWh,
 *                        costIdr, stopReason }               (absent when none is kept)
 * ```
 * Nulls are absent (Firebase stores no nulls). Connector ids are numbers as keys, so a client that
 * reads a whole station may receive `connectors` as an array (index = connectorId).
 */
export const LAYOUT_VERSION = 1;
export const DEFAULT_ROOT = 'v1';

/** Characters Firebase forbids in keys (plus % so that the encoding is reversible). */
const FORBIDDEN = /[.#$[\]/%\u0000-\u001f\u007f]/g;

/** The key of a charge point: its id with `. # $ [ ] / %` and control characters percent-encoded. */
export function stationKey(chargePointId: string): string {
  return chargePointId.replace(FORBIDDEN, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

/** Normalises the `path` option: 'v1', '/v1/', 'site-a/v1' → without leading/trailing slashes. */
export function normaliseRoot(path: string): string {
  const root = path.replace(/^\/+|\/+$/g, '');
  if (root === '' || /[.#$[\]]/.test(root) || root.split('/').some((p) => p === '')) {
    throw new Error(`firebaseMirror: path ${JSON.stringify(path)} is not a valid database path (e.g. "v1" or "site-a/v1")`);
  }
  return root;
}

export function stationPath(root: string, chargePointId: string): string {
  return `${root}/stations/${stationKey(chargePointId)}`;
}

export function connectorPath(root: string, chargePointId: string, connectorId: number): string {
  return `${stationPath(root, chargePointId)}/connectors/${connectorId}`;
}
