/** JSON schemas of the live state views (response serialisation and the OpenAPI document). */
type Schema = Record<string, unknown>;

const str = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const n = (s: Schema): Schema => ({ ...s, type: [s.type as string, 'null'] });
const obj = (properties: Record<string, Schema>, description?: string): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
  ...(description ? { description } : {}),
});

export const liveSessionSchema = obj(
  {
    transactionId: { type: 'integer' },
    idTag: str,
    startedAt: time,
    meterStartWh: { type: 'number' },
    energyWh: { type: 'number', description: 'Energy delivered so far (latest register − meterStart), Wh.' },
    powerW: n({ type: 'number', description: 'Active power now, W.' }),
    currentA: n({ type: 'number', description: 'Current now (total, or the highest phase), A.' }),
    socPercent: n({ type: 'number', description: 'State of charge when the charger sends it.' }),
    costIdr: n({ type: 'integer', description: 'Cost so far in whole rupiah (tariff taken at start), up to the time of the view.' }),
    updatedAt: time,
  },
  'A running session.',
);

export const liveSessionSummarySchema = obj(
  {
    transactionId: { type: 'integer' },
    idTag: str,
    startedAt: time,
    stoppedAt: time,
    energyWh: { type: 'number' },
    costIdr: n({ type: 'integer' }),
    stopReason: n(str),
  },
  'The last finished session on the connector (kept for live.lastSessionMinutes).',
);

export const liveConnectorSchema = obj({
  chargePointId: str,
  connectorId: { type: 'integer' },
  status: n({ type: 'string', description: 'OCPP ChargePointStatus (Available, Preparing, Charging, ...).' }),
  errorCode: n(str),
  info: n(str),
  vendorErrorCode: n(str),
  since: n({ ...time, description: 'When the current status began.' }),
  session: { anyOf: [liveSessionSchema, { type: 'null' }] },
  lastSession: { anyOf: [liveSessionSummarySchema, { type: 'null' }] },
});

export const liveChargePointSchema = obj({
  id: str,
  connected: { type: 'boolean' },
  connectedSince: n(time),
  lastSeenAt: n(time),
  registrationStatus: { type: ['string', 'null'], enum: ['Accepted', 'Pending', 'Rejected', null] },
  vendor: n(str),
  model: n(str),
  firmwareVersion: n(str),
  connectors: { type: 'array', items: liveConnectorSchema },
});

export const liveSiteSchema = obj({
  powerW: { type: 'number', description: 'Sum of the running sessions\' power, W.' },
  gridLimitW: n({ type: 'number', description: 'settings site.maxGridPowerKw × 1000; null = no limit.' }),
  sessionsRunning: { type: 'integer' },
  chargePointsOnline: { type: 'integer' },
  chargePointsTotal: { type: 'integer' },
});

export const liveSnapshotSchema = obj(
  { at: time, site: liveSiteSchema, chargePoints: { type: 'array', items: liveChargePointSchema } },
  'The site as it is now.',
);

const publicSession = obj({
  transactionId: { type: 'integer' },
  idTagMasked: { type: 'string', description: "The idTag with its middle hidden, e.g. 'DEMO••23'." },
  startedAt: time,
  durationS: { type: 'integer' },
  energyWh: { type: 'number' },
  powerW: n({ type: 'number' }),
  socPercent: n({ type: 'number' }),
  costIdr: n({ type: 'integer' }),
  updatedAt: time,
});

const publicSummary = obj({
  transactionId: { type: 'integer' },
  idTagMasked: str,
  startedAt: time,
  stoppedAt: time,
  durationS: { type: 'integer' },
  energyWh: { type: 'number' },
  costIdr: n({ type: 'integer' }),
  stopReason: n(str),
});

export const publicConnectorViewSchema = obj(
  {
    chargePointId: str,
    connectorId: { type: 'integer' },
    status: n(str),
    since: n(time),
    session: { anyOf: [publicSession, { type: 'null' }] },
    lastSession: { anyOf: [publicSummary, { type: 'null' }] },
  },
  'What a driver may see of one connector.',
);
