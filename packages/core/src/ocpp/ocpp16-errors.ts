/**
 * The OCPP-J 1.6 CALLERROR rules (J16 §4.2.3, Table 7, errata §5), applied to every frame the
 * gateway sends. ocpp-rpc 2.2.1's error classes and validator speak OCPP-J 2.0.1
 * (`RpcFrameworkError`, `MessageTypeNotSupported`, `FormatViolation`, the 2.1 spelling
 * `OccurrenceConstraintViolation`), and the gateway's inbound side (inbound-calls.ts) answers with them. A charger that does not
 * know a code may resend forever (lorenzodonini/ocpp-go#331), so no code outside Table 7 may leave.
 *
 * Pure functions only: the gateway wraps each client's `sendRaw` with `rewriteOutgoingFrame`.
 */

/** J16 Table 7, with the 1.6 spellings (FormationViolation, OccurenceConstraintViolation). */
export const OCPP16_ERROR_CODES = [
  'NotImplemented',
  'NotSupported',
  'InternalError',
  'ProtocolError',
  'SecurityError',
  'FormationViolation',
  'PropertyConstraintViolation',
  'OccurenceConstraintViolation',
  'TypeConstraintViolation',
  'GenericError',
] as const;

export type Ocpp16ErrorCode = (typeof OCPP16_ERROR_CODES)[number];

/** `[4, messageId, errorCode, errorDescription, errorDetails]` */
export type Ocpp16CallErrorFrame = [4, string, Ocpp16ErrorCode, string, Record<string, unknown>];

const VALID_CODES: ReadonlySet<string> = new Set(OCPP16_ERROR_CODES);

/**
 * ajv keyword of the first schema error → 1.6 code. ocpp-rpc's own table maps `enum` and
 * `maxLength` to FormatViolation and `multipleOf` to an occurrence error; Table 7 says otherwise:
 * - occurrence = how many times something appears (a required field, array sizes, field counts);
 * - type = the JSON type;
 * - property = the value of a field that is present with the right type (enum, pattern, format,
 *   length, range, decimal places).
 * `additionalProperties` (a field the PDU does not define) → FormationViolation: Table 7 describes
 * that code as a payload that does "not conform the PDU structure", while PropertyConstraintViolation
 * is about an invalid value in a field that belongs there. An unknown field has no valid value.
 */
export const SCHEMA_KEYWORD_CODES: Readonly<Record<string, Ocpp16ErrorCode>> = {
  required: 'OccurenceConstraintViolation',
  dependencies: 'OccurenceConstraintViolation',
  dependentRequired: 'OccurenceConstraintViolation',
  minItems: 'OccurenceConstraintViolation',
  maxItems: 'OccurenceConstraintViolation',
  additionalItems: 'OccurenceConstraintViolation',
  minProperties: 'OccurenceConstraintViolation',
  maxProperties: 'OccurenceConstraintViolation',
  type: 'TypeConstraintViolation',
  enum: 'PropertyConstraintViolation',
  const: 'PropertyConstraintViolation',
  pattern: 'PropertyConstraintViolation',
  format: 'PropertyConstraintViolation',
  maxLength: 'PropertyConstraintViolation',
  minLength: 'PropertyConstraintViolation',
  maximum: 'PropertyConstraintViolation',
  minimum: 'PropertyConstraintViolation',
  exclusiveMaximum: 'PropertyConstraintViolation',
  exclusiveMinimum: 'PropertyConstraintViolation',
  multipleOf: 'PropertyConstraintViolation',
  uniqueItems: 'PropertyConstraintViolation',
  additionalProperties: 'FormationViolation',
  propertyNames: 'FormationViolation',
};

/** Codes ocpp-rpc's validator gives to schema failures (their details carry ajv's `errors`). */
const SCHEMA_ERROR_CODES: ReadonlySet<string> = new Set([
  'FormatViolation',
  'FormationViolation',
  'OccurrenceConstraintViolation',
  'OccurenceConstraintViolation',
  'PropertyConstraintViolation',
  'TypeConstraintViolation',
]);

/** 2.0.1 / 2.1 spellings with a 1.6 equivalent. */
const RESPELLED: Readonly<Record<string, Ocpp16ErrorCode>> = {
  FormatViolation: 'FormationViolation',
  OccurrenceConstraintViolation: 'OccurenceConstraintViolation',
};

/** ocpp-rpc's validator when an action has no schema, i.e. the action does not exist in 1.6. */
const MISSING_SCHEMA = /^Schema 'urn:[^']*\.req' is missing from subprotocol schema/;

/** Longest errorDescription we send: descriptions can quote what the charger sent (an action name). */
export const MAX_DESCRIPTION_LENGTH = 200;
/** Longest errorDetails (as JSON) passed through from a handler's error; larger becomes `{}`. */
export const MAX_DETAILS_JSON_LENGTH = 256;
const MAX_DETAIL_STRING = 64;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface AjvErrorLike {
  keyword?: unknown;
  instancePath?: unknown;
  params?: unknown;
}

function firstSchemaError(details: unknown): AjvErrorLike | null {
  if (!isPlainObject(details) || !Array.isArray(details.errors)) return null;
  const first: unknown = details.errors[0];
  return isPlainObject(first) && typeof first.keyword === 'string' ? first : null;
}

/** `{ keyword, path, property? }`: where the payload broke, never the payload itself. */
function schemaDetails(error: AjvErrorLike): Record<string, unknown> {
  const details: Record<string, unknown> = {
    keyword: error.keyword,
    path: typeof error.instancePath === 'string' ? truncate(error.instancePath, MAX_DETAIL_STRING) : '',
  };
  const params = isPlainObject(error.params) ? error.params : {};
  const property = params.missingProperty ?? params.additionalProperty;
  if (typeof property === 'string') details.property = truncate(property, MAX_DETAIL_STRING);
  return details;
}

/** Small handler-supplied details pass; anything large, or carrying ajv's `data`/`errors`, is dropped. */
function passThroughDetails(details: unknown): Record<string, unknown> {
  if (!isPlainObject(details) || 'data' in details || 'errors' in details) return {};
  try {
    const json = JSON.stringify(details);
    return json.length <= MAX_DETAILS_JSON_LENGTH ? details : {};
  } catch {
    return {};
  }
}

/**
 * Maps one outgoing CALLERROR frame (already parsed) to its OCPP-J 1.6 form, or `null` when the
 * frame must not be sent at all: an answer to an unknown message type, which J16 §4.1.3 says the
 * server SHALL ignore.
 */
export function toOcpp16CallError(frame: readonly unknown[]): Ocpp16CallErrorFrame | null {
  const [, rawId, rawCode, rawDescription, rawDetails] = frame;
  const messageId = typeof rawId === 'string' ? rawId : '-1';
  const code = typeof rawCode === 'string' ? rawCode : 'GenericError';
  let description = typeof rawDescription === 'string' ? rawDescription : '';

  if (code === 'MessageTypeNotSupported') return null;

  let mapped: Ocpp16ErrorCode;
  let details: Record<string, unknown> = {};
  const schemaError = SCHEMA_ERROR_CODES.has(code) ? firstSchemaError(rawDetails) : null;

  if (schemaError) {
    mapped = SCHEMA_KEYWORD_CODES[schemaError.keyword as string] ?? 'FormationViolation';
    details = schemaDetails(schemaError);
  } else if (code === 'RpcFrameworkError') {
    // Frame-level failures: non-JSON, not an array, type/id/action of the wrong type. (A message id
    // still in flight under another action is answered ProtocolError by inbound-calls.ts itself.)
    mapped = 'FormationViolation';
  } else if (code === 'ProtocolError' && MISSING_SCHEMA.test(description)) {
    // With a wildcard handler ocpp-rpc finds no schema for an unknown (or wrongly cased) action.
    mapped = 'NotImplemented';
    const action = /^Schema 'urn:([^']*)\.req'/.exec(description)?.[1] ?? '';
    description = `Unable to handle '${action}' calls`;
  } else if (RESPELLED[code]) {
    mapped = RESPELLED[code];
    details = passThroughDetails(rawDetails);
  } else if (VALID_CODES.has(code)) {
    mapped = code as Ocpp16ErrorCode;
    details = passThroughDetails(rawDetails);
  } else {
    mapped = 'GenericError';
  }

  return [4, messageId, mapped, truncate(description, MAX_DESCRIPTION_LENGTH), details];
}

/**
 * The filter every outgoing frame passes through. Frames that are not CALLERRORs are returned
 * unchanged (without parsing); a CALLERROR comes back in its 1.6 form, or `null` = do not send.
 */
export function rewriteOutgoingFrame(text: string): string | null {
  if (!text.startsWith('[4')) return text;
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return text;
  }
  if (!Array.isArray(frame) || frame[0] !== 4) return text;
  const rewritten = toOcpp16CallError(frame);
  return rewritten === null ? null : JSON.stringify(rewritten);
}
