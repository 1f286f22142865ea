/**
 * The one table of error codes of @charge-it/core. Every error the core throws on purpose is a
 * `CsmsError` with one of these codes, a message that says what was wrong and how to fix it, and
 * the original error as `cause` where there is one.
 */
export const CsmsErrorCode = {
  /** A configuration option is missing or has a bad value. */
  CONFIG_INVALID: 'CSMS_ERR_CONFIG_INVALID',
  /** Two plugins with the same name were registered with different definitions. */
  PLUGIN_DUPLICATE: 'CSMS_ERR_PLUGIN_DUPLICATE',
  /** A plugin depends on a plugin that was not registered. */
  PLUGIN_MISSING_DEPENDENCY: 'CSMS_ERR_PLUGIN_MISSING_DEPENDENCY',
  /** Plugin dependencies form a cycle. */
  PLUGIN_DEPENDENCY_CYCLE: 'CSMS_ERR_PLUGIN_DEPENDENCY_CYCLE',
  /** A plugin's setup() did not finish within the setup timeout. */
  PLUGIN_SETUP_TIMEOUT: 'CSMS_ERR_PLUGIN_SETUP_TIMEOUT',
  /** A plugin's setup() threw. */
  PLUGIN_SETUP_FAILED: 'CSMS_ERR_PLUGIN_SETUP_FAILED',
  /** A plugin definition is malformed (no name, unknown hook, ...). */
  PLUGIN_INVALID: 'CSMS_ERR_PLUGIN_INVALID',
  /** Something tried to register a hook, service, route or handler after boot. */
  REGISTRATION_CLOSED: 'CSMS_ERR_REGISTRATION_CLOSED',
  /** Two plugins provide the same service name. */
  SERVICE_COLLISION: 'CSMS_ERR_SERVICE_COLLISION',
  /** A service was looked up that nobody provides. */
  SERVICE_MISSING: 'CSMS_ERR_SERVICE_MISSING',
  /** Two claims on the same OCPP action (or DataTransfer vendor). */
  ACTION_CLAIMED: 'CSMS_ERR_ACTION_CLAIMED',
  /** The database could not be opened, migrated or written. */
  DATABASE: 'CSMS_ERR_DATABASE',
  /** The server could not listen (port in use, bad TLS files, ...). */
  LISTEN: 'CSMS_ERR_LISTEN',
  /** The CSMS is closing or closed. */
  CLOSED: 'CSMS_ERR_CLOSED',
  /** A charge point is not connected. */
  CHARGE_POINT_OFFLINE: 'CSMS_ERR_CHARGE_POINT_OFFLINE',
  /** A charge point is unknown. */
  CHARGE_POINT_UNKNOWN: 'CSMS_ERR_CHARGE_POINT_UNKNOWN',
  /** A call to a charge point timed out. */
  CALL_TIMEOUT: 'CSMS_ERR_CALL_TIMEOUT',
  /** A charge point answered a call with a CALLERROR. */
  CALL_ERROR: 'CSMS_ERR_CALL_ERROR',
  /** A call was sent, but the charge point's connection closed before it answered (it may have acted on it). */
  CONNECTION_LOST: 'CSMS_ERR_CONNECTION_LOST',
  /** A runtime setting (tariff, site limit, ...) has a bad value; `details.fields` maps field → problem. */
  SETTING_INVALID: 'CSMS_ERR_SETTING_INVALID',
  /** A command's request does not match the OCPP 1.6 schema (the message says which field). */
  COMMAND_INVALID: 'CSMS_ERR_COMMAND_INVALID',
  /** A call is not allowed in the charge point's current state (e.g. boot Pending/Rejected). */
  CALL_NOT_ALLOWED: 'CSMS_ERR_CALL_NOT_ALLOWED',
  /** A hook ran past its timeout. */
  HOOK_TIMEOUT: 'CSMS_ERR_HOOK_TIMEOUT',
  /** Input (REST body, query, path) is malformed; the message names the field, `details.fields` maps field → problem. */
  INPUT_INVALID: 'CSMS_ERR_INPUT_INVALID',
  /** A record (transaction, idTag, API key, ...) does not exist, or not within the scope asked for. */
  NOT_FOUND: 'CSMS_ERR_NOT_FOUND',
  /** A record with the same key exists already, or the request conflicts with its state. */
  CONFLICT: 'CSMS_ERR_CONFLICT',
  /** No credentials, or credentials that are unknown, wrong or revoked. */
  UNAUTHORIZED: 'CSMS_ERR_UNAUTHORIZED',
  /** Valid credentials whose role does not allow the operation. */
  FORBIDDEN: 'CSMS_ERR_FORBIDDEN',
  /** Too many requests from one address (public endpoints); retry after the time the answer gives. */
  RATE_LIMITED: 'CSMS_ERR_RATE_LIMITED',
  /** An unexpected failure (a bug or an outage); the details are in the server log, not in the answer. */
  INTERNAL: 'CSMS_ERR_INTERNAL',
} as const;

export type CsmsErrorCode = (typeof CsmsErrorCode)[keyof typeof CsmsErrorCode];

/**
 * The brand every `CsmsError` carries. `Symbol.for` is one symbol per process, so an error made by
 * a second copy of this module (two installed versions of @charge-it/core, or the core's dist next
 * to a bundled kernel on the edge) is still recognised by `isCsmsError`, where `instanceof` fails.
 */
const CSMS_ERROR_BRAND = Symbol.for('charge-it.CsmsError');

export class CsmsError extends Error {
  readonly code: CsmsErrorCode;
  /** Extra machine-readable facts (option name, plugin name, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: CsmsErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CsmsError';
    this.code = code;
    this.details = options.details ?? {};
    // Non-enumerable: not in JSON or logs, but seen by every copy of `isCsmsError`.
    Object.defineProperty(this, CSMS_ERROR_BRAND, { value: true });
  }
}

/**
 * True for a `CsmsError` (optionally with the given code), also one thrown by another copy of the
 * class: it checks the `Symbol.for('charge-it.CsmsError')` brand, not `instanceof`.
 */
export function isCsmsError(err: unknown, code?: CsmsErrorCode): err is CsmsError {
  if (typeof err !== 'object' || err === null || (err as Record<symbol, unknown>)[CSMS_ERROR_BRAND] !== true) return false;
  return code === undefined || (err as { code?: unknown }).code === code;
}
