import type {
  ApiKey,
  AuditLog,
  ChargePoint,
  Connector,
  IdTag,
  MeterSample,
  OrphanMessage,
  RegistrationStatus,
  Reservation,
  StatusEvent,
  Transaction,
} from '../../persistence/entities/index.js';

/** What a view needs of a connected charge point's session. */
export interface SessionInfo {
  readonly registrationStatus: RegistrationStatus | null;
  readonly connectedAt: Date;
}

/**
 * Entity → JSON view, shared by the query service (`services.get('queries')`) and the REST API.
 * Dates become ISO strings here (the serialiser then only copies strings), and secrets (key
 * hashes) never leave.
 */

export function iso(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  const d = date instanceof Date ? date : new Date(date);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function connectorViewOf(c: Connector) {
  return {
    connectorId: c.connectorId,
    status: c.status ?? null,
    errorCode: c.errorCode ?? null,
    info: c.info ?? null,
    vendorId: c.vendorId ?? null,
    vendorErrorCode: c.vendorErrorCode ?? null,
    statusTimestamp: iso(c.statusTimestamp),
    updatedAt: iso(c.updatedAt),
  };
}

export function chargePointViewOf(cp: ChargePoint, connectors: readonly Connector[], session: SessionInfo | undefined) {
  return {
    id: cp.id,
    description: cp.description ?? null,
    maxPowerKw: cp.maxPowerKw ?? null,
    securityProfile: cp.securityProfile ?? 0,
    hasAuthKey: Boolean(cp.authKeyHash),
    // A connected charge point's session knows the outcome of a Boot not yet written.
    registrationStatus: session?.registrationStatus ?? cp.registrationStatus ?? null,
    online: session !== undefined,
    connectedAt: iso(session?.connectedAt),
    vendor: cp.vendor ?? null,
    model: cp.model ?? null,
    serialNumber: cp.serialNumber ?? null,
    chargeBoxSerialNumber: cp.chargeBoxSerialNumber ?? null,
    firmwareVersion: cp.firmwareVersion ?? null,
    meterType: cp.meterType ?? null,
    meterSerialNumber: cp.meterSerialNumber ?? null,
    lastBootAt: iso(cp.lastBootAt),
    lastHeartbeatAt: iso(cp.lastHeartbeatAt),
    lastSeenAt: iso(cp.lastSeenAt),
    firmwareStatus: cp.firmwareStatus ?? null,
    firmwareStatusAt: iso(cp.firmwareStatusAt),
    diagnosticsStatus: cp.diagnosticsStatus ?? null,
    diagnosticsStatusAt: iso(cp.diagnosticsStatusAt),
    createdAt: iso(cp.createdAt),
    connectors: [...connectors].sort((a, b) => a.connectorId - b.connectorId).map(connectorViewOf),
  };
}

export interface LiveCost {
  cost: number;
  breakdown: Record<string, unknown> | null;
}

export function transactionViewOf(tx: Transaction, live?: LiveCost | null) {
  const final = tx.status === 'Completed' && tx.cost !== null && tx.cost !== undefined;
  return {
    id: tx.id,
    chargePointId: tx.chargePoint as unknown as string,
    connectorId: tx.connectorId,
    status: tx.status,
    idTag: tx.idTag,
    idTagStatus: tx.idTagStatus,
    parentIdTag: tx.parentIdTag ?? null,
    reservationId: tx.reservationId ?? null,
    meterStart: tx.meterStart,
    meterStop: tx.meterStop ?? null,
    energyWh: tx.energyWh ?? null,
    startTimestamp: iso(tx.startTimestamp),
    startReceivedAt: iso(tx.startReceivedAt),
    stopTimestamp: iso(tx.stopTimestamp),
    stopReceivedAt: iso(tx.stopReceivedAt),
    stopReason: tx.stopReason ?? null,
    stopIdTag: tx.stopIdTag ?? null,
    cost: final ? tx.cost : (live?.cost ?? tx.cost ?? null),
    costFinal: final,
    costBreakdown: final ? (tx.costBreakdown ?? null) : (live?.breakdown ?? tx.costBreakdown ?? null),
    flags: tx.flags ?? [],
  };
}

export function meterSampleViewOf(s: MeterSample) {
  return {
    id: s.id,
    connectorId: s.connectorId,
    timestamp: iso(s.timestamp),
    receivedAt: iso(s.receivedAt),
    measurand: s.measurand,
    phase: s.phase ?? null,
    location: s.location ?? null,
    context: s.context,
    unit: s.unit,
    value: s.value ?? null,
    rawValue: s.rawValue ?? null,
    format: s.format ?? null,
    flags: s.flags ?? [],
  };
}

export function statusEventViewOf(e: StatusEvent) {
  return {
    id: e.id,
    connectorId: e.connectorId,
    status: e.status,
    errorCode: e.errorCode,
    info: e.info ?? null,
    vendorId: e.vendorId ?? null,
    vendorErrorCode: e.vendorErrorCode ?? null,
    timestamp: iso(e.timestamp),
    receivedAt: iso(e.receivedAt),
  };
}

/** Configuration keys whose values are secrets (security whitepaper: AuthorizationKey). */
const SECRET_CONFIGURATION_KEYS = new Set(['authorizationkey']);

/**
 * Hides secrets an audit row may hold: the value of ChangeConfiguration(AuthorizationKey) is a
 * charge point's Basic-auth password, which must not be readable by every API viewer.
 */
export function redactAuditRequest(action: string, request: unknown): unknown {
  if (action !== 'ChangeConfiguration' || typeof request !== 'object' || request === null) return request;
  const r = request as { key?: unknown; value?: unknown };
  if (typeof r.key === 'string' && SECRET_CONFIGURATION_KEYS.has(r.key.toLowerCase()) && 'value' in r) return { ...r, value: '***' };
  return request;
}

export function auditEntryViewOf(a: AuditLog) {
  return {
    id: a.id,
    at: iso(a.at),
    actor: a.actor,
    action: a.action,
    chargePointId: a.chargePoint ?? null,
    request: redactAuditRequest(a.action, a.request) ?? null,
    result: a.result ?? null,
    outcome: a.outcome,
  };
}

export function orphanViewOf(o: OrphanMessage) {
  return {
    id: o.id,
    chargePointId: o.chargePoint as unknown as string,
    action: o.action,
    claimedTransactionId: o.claimedTransactionId ?? null,
    reason: o.reason,
    payload: o.payload ?? null,
    receivedAt: iso(o.receivedAt),
    reviewedAt: iso(o.reviewedAt),
  };
}

export function idTagViewOf(t: IdTag) {
  return {
    idTag: t.idTag,
    status: t.status,
    parentIdTag: t.parentIdTag ?? null,
    expiryDate: iso(t.expiryDate),
    ownerName: t.ownerName ?? null,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}

export function apiKeyViewOf(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    createdAt: iso(k.createdAt),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}

export function reservationViewOf(r: Reservation) {
  return {
    id: r.id,
    chargePointId: r.chargePoint as unknown as string,
    connectorId: r.connectorId,
    idTag: r.idTag,
    parentIdTag: r.parentIdTag ?? null,
    expiryDate: iso(r.expiryDate),
    status: r.status,
    transactionId: r.transactionId ?? null,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}
