/**
 * JSON schemas shared by the REST API routes. Fastify validates requests and serialises responses
 * with them, and @fastify/swagger turns them into the OpenAPI document, so each is written once.
 * Response timestamps are ISO 8601 strings (the views convert Dates before serialising).
 */

type Schema = Record<string, unknown>;

export const dateTime = { type: 'string', format: 'date-time' } as const;

/** `schema` or null. */
export function nullable<S extends Schema>(schema: S): Schema {
  const type = schema.type;
  if (typeof type === 'string') return { ...schema, type: [type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

/** Any JSON value (free-form payloads such as audit requests). */
export const anyJson = {} as const;

export const chargePointIdParam = {
  type: 'string',
  minLength: 1,
  maxLength: 48,
  pattern: '^[A-Za-z0-9*\\-_=:+|@.#]+$',
  description: 'The charge point identity (the last segment of its OCPP URL).',
} as const;

export const paginationQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50, description: 'Page size (1–500).' },
  offset: { type: 'integer', minimum: 0, default: 0, description: 'Rows to skip.' },
} as const;

export const timeRangeQuery = {
  from: { ...dateTime, description: 'Only rows at or after this time (ISO 8601 with a zone).' },
  to: { ...dateTime, description: 'Only rows before this time (ISO 8601 with a zone).' },
} as const;

/** A page of `item`: `{ items, total, limit, offset }`. */
export function page(item: Schema, description: string): Schema {
  return {
    type: 'object',
    description,
    required: ['items', 'total', 'limit', 'offset'],
    properties: {
      items: { type: 'array', items: item },
      total: { type: 'integer', description: 'Rows matching the filters (all pages).' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
    },
  };
}

export function objectOf(properties: Record<string, unknown>, extra: Schema = {}): Schema {
  return { type: 'object', properties, ...extra };
}

/** A strict object: unknown fields are refused (see unknown-fields.ts). */
export function strictObject(properties: Record<string, unknown>, required: readonly string[] = [], extra: Schema = {}): Schema {
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}), ...extra };
}

/** Error responses by status, all of the shared ApiError shape. */
export function errors(...statuses: number[]): Record<number, unknown> {
  const descriptions: Record<number, string> = {
    400: 'Invalid input; `error.fields` names the fields.',
    401: 'No API key, or an unknown, wrong or revoked one.',
    403: 'The key\'s role does not allow this operation.',
    404: 'Not found (or not within the charge point asked for).',
    409: 'Conflicts with the current state (exists already, charge point offline or not accepted).',
    501: 'The feature is not installed in this CSMS.',
    502: 'The charge point answered with a CALLERROR (`error.rpcErrorCode`).',
    504: 'The charge point did not answer in time.',
  };
  return Object.fromEntries(statuses.map((s) => [s, { $ref: 'ApiError#', description: descriptions[s] ?? 'Error.' }]));
}

export const connectorView = objectOf({
  connectorId: { type: 'integer', description: '0 = the charge point itself.' },
  status: nullable({ type: 'string', description: 'Last StatusNotification status (Available, Charging, ...).' }),
  errorCode: nullable({ type: 'string' }),
  info: nullable({ type: 'string' }),
  vendorId: nullable({ type: 'string' }),
  vendorErrorCode: nullable({ type: 'string' }),
  statusTimestamp: nullable({ ...dateTime, description: "The charge point's clock, as sent." }),
  updatedAt: nullable(dateTime),
});

export const chargePointView = objectOf({
  id: { type: 'string' },
  description: nullable({ type: 'string' }),
  maxPowerKw: nullable({ type: 'number' }),
  securityProfile: { type: 'integer', enum: [0, 1, 2, 3] },
  hasAuthKey: { type: 'boolean', description: 'A Basic-auth key is set (the key itself is never shown again).' },
  registrationStatus: nullable({ type: 'string', enum: ['Accepted', 'Pending', 'Rejected', null] }),
  online: { type: 'boolean', description: 'Has an open OCPP connection right now.' },
  connectedAt: nullable({ ...dateTime, description: 'When the open connection was made (null when offline).' }),
  vendor: nullable({ type: 'string' }),
  model: nullable({ type: 'string' }),
  serialNumber: nullable({ type: 'string' }),
  chargeBoxSerialNumber: nullable({ type: 'string' }),
  firmwareVersion: nullable({ type: 'string' }),
  meterType: nullable({ type: 'string' }),
  meterSerialNumber: nullable({ type: 'string' }),
  lastBootAt: nullable(dateTime),
  lastHeartbeatAt: nullable({ ...dateTime, description: 'Written every few seconds, so it may lag a heartbeat by that much.' }),
  lastSeenAt: nullable(dateTime),
  firmwareStatus: nullable({ type: 'string' }),
  firmwareStatusAt: nullable(dateTime),
  diagnosticsStatus: nullable({ type: 'string' }),
  diagnosticsStatusAt: nullable(dateTime),
  createdAt: nullable(dateTime),
  connectors: { type: 'array', items: connectorView },
});

export const transactionView = objectOf({
  id: { type: 'integer', description: 'The OCPP transactionId.' },
  chargePointId: { type: 'string' },
  connectorId: { type: 'integer' },
  status: { type: 'string', enum: ['Active', 'Completed'] },
  idTag: { type: 'string' },
  idTagStatus: { type: 'string' },
  parentIdTag: nullable({ type: 'string' }),
  reservationId: nullable({ type: 'integer' }),
  meterStart: { type: 'number', description: 'Wh, as sent.' },
  meterStop: nullable({ type: 'number', description: 'Wh, as sent.' }),
  energyWh: nullable({ type: 'number', description: 'Billed energy in Wh (never negative).' }),
  startTimestamp: { ...dateTime, description: "The charge point's clock." },
  startReceivedAt: { ...dateTime, description: "The server's clock." },
  stopTimestamp: nullable(dateTime),
  stopReceivedAt: nullable(dateTime),
  stopReason: nullable({ type: 'string' }),
  stopIdTag: nullable({ type: 'string' }),
  cost: nullable({ type: 'number', description: 'Cost in whole IDR: final when Completed, live (so far) when Active and tariffs are installed.' }),
  costFinal: { type: 'boolean', description: 'True when `cost` is the final, stored cost.' },
  costBreakdown: nullable({ type: 'object', additionalProperties: true, description: 'How the cost was computed (tariff, energy/time/idle/tax parts).' }),
  flags: { type: 'array', items: { type: 'string' }, description: 'Anomaly flags, e.g. clock-skew, meter-stop-below-start.' },
});

export const meterSampleView = objectOf({
  id: { type: 'integer' },
  connectorId: { type: 'integer' },
  timestamp: { ...dateTime, description: "The charge point's clock." },
  receivedAt: dateTime,
  measurand: { type: 'string' },
  phase: nullable({ type: 'string' }),
  location: nullable({ type: 'string' }),
  context: { type: 'string' },
  unit: { type: 'string', description: 'Normalised unit: Wh, W, A, V, Celsius, Percent, ...' },
  value: nullable({ type: 'number' }),
  rawValue: nullable({ type: 'string', description: 'The value as sent, when it is not a plain number (e.g. SignedData).' }),
  format: nullable({ type: 'string' }),
  flags: { type: 'array', items: { type: 'string' } },
});

export const statusEventView = objectOf({
  id: { type: 'integer' },
  connectorId: { type: 'integer' },
  status: { type: 'string' },
  errorCode: { type: 'string' },
  info: nullable({ type: 'string' }),
  vendorId: nullable({ type: 'string' }),
  vendorErrorCode: nullable({ type: 'string' }),
  timestamp: nullable({ ...dateTime, description: "The charge point's clock (optional in OCPP)." }),
  receivedAt: dateTime,
});

export const auditEntryView = objectOf({
  id: { type: 'integer' },
  at: dateTime,
  actor: { type: 'string', description: "Who: 'api:<key name>', 'system:<feature>', ..." },
  action: { type: 'string' },
  chargePointId: nullable({ type: 'string' }),
  request: anyJson,
  result: anyJson,
  outcome: { type: 'string', description: "e.g. 'accepted', 'rejected', 'ok', 'offline', 'timeout', 'call-error', 'invalid'." },
});

export const orphanView = objectOf({
  id: { type: 'integer' },
  chargePointId: { type: 'string' },
  action: { type: 'string', enum: ['StopTransaction', 'MeterValues'] },
  claimedTransactionId: nullable({ type: 'integer' }),
  reason: { type: 'string' },
  payload: anyJson,
  receivedAt: dateTime,
  reviewedAt: nullable(dateTime),
});

export const ID_TAG_STATUSES = ['Accepted', 'Blocked', 'Expired', 'Invalid'] as const;

export const idTagValue = {
  type: 'string',
  minLength: 1,
  maxLength: 20,
  pattern: '^[!-~]+$',
  description: 'OCPP IdToken: 1–20 printable ASCII characters without spaces; compared case-insensitively.',
} as const;

export const idTagView = objectOf({
  idTag: { type: 'string' },
  status: { type: 'string', enum: ID_TAG_STATUSES },
  parentIdTag: nullable({ type: 'string' }),
  expiryDate: nullable(dateTime),
  ownerName: nullable({ type: 'string' }),
  createdAt: nullable(dateTime),
  updatedAt: nullable(dateTime),
});

export const apiKeyView = objectOf({
  id: { type: 'integer' },
  name: { type: 'string' },
  prefix: { type: 'string', description: 'The non-secret start of the key (`cit_<prefix>_...`), to tell keys apart.' },
  role: { type: 'string', enum: ['viewer', 'operator', 'admin'] },
  createdAt: nullable(dateTime),
  lastUsedAt: nullable({ ...dateTime, description: 'Updated at most once a minute.' }),
  revokedAt: nullable(dateTime),
});
