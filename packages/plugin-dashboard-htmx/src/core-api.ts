/**
 * Types of the platform services the dashboard uses, derived from `CsmsServices` of
 * @charge-it/core (so they follow the core), plus the services reached by name that the core's
 * registry does not type yet (queries, apiKeys, chargePointRegistry) and the optional `ml`.
 */
import type { CsmsServices, ServiceRegistry } from '@charge-it/core';

export type LiveStateService = CsmsServices['live'];
export type LiveSnapshot = ReturnType<LiveStateService['snapshot']>;
export type LiveSite = LiveSnapshot['site'];
export type LiveChargePoint = LiveSnapshot['chargePoints'][number];
export type LiveConnector = LiveChargePoint['connectors'][number];
export type LiveSession = NonNullable<LiveConnector['session']>;
export type LiveEvent = Parameters<Parameters<LiveStateService['subscribe']>[0]>[0];
export type AdminUserService = CsmsServices['adminUsers'];
export type AdminUserView = Awaited<ReturnType<AdminUserService['list']>>[number];
export type AdminRole = AdminUserView['role'];
export type IdTagService = CsmsServices['idTags'];
export type IdTagView = Awaited<ReturnType<IdTagService['list']>>['items'][number];

// Query module (CONTRACT §3) — row shapes assumed until the core exports them.
export interface QueryService {
  chargePoints(): Promise<ChargePointRow[]>;
  chargePoint(id: string): Promise<ChargePointRow | null>;
  transactions(q: TransactionQuery): Promise<{ items: TransactionRow[]; total: number }>;
  transaction(id: number): Promise<TransactionRow | null>;
  meterSeries(transactionId: number, q?: { measurands?: string[] }): Promise<{ measurand: string; phase: string | null; unit: string | null; points: [number, number][] }[]>;
  statusHistory(chargePointId: string, q?: { connectorId?: number; limit?: number; before?: Date }): Promise<StatusEventRow[]>;
  auditLog(q?: { chargePointId?: string; actor?: string; action?: string; limit?: number; offset?: number }): Promise<{ items: AuditRow[]; total: number }>;
  sessionStats(q: { from: Date; to: Date; bucket: 'hour' | 'day' | 'month'; chargePointId?: string; timeZone?: string }): Promise<{ bucketStart: string; sessions: number; energyWh: number; revenueIdr: number }[]>;
  sitePower(q: { from: Date; to: Date; bucketMinutes?: 15 | 60; chargePointId?: string }): Promise<{ at: string; powerW: number }[]>;
}
export interface TransactionQuery {
  chargePointId?: string; idTag?: string; from?: Date; to?: Date; status?: 'Active' | 'Completed'; flag?: string; flagged?: boolean;
  sort?: 'startedAt' | 'stoppedAt' | 'energyWh' | 'cost' | 'id'; order?: 'asc' | 'desc'; limit?: number; offset?: number;
}
export interface ChargePointRow {
  id: string; vendor: string | null; model: string | null; firmwareVersion: string | null; securityProfile: number;
  registrationStatus: string | null; lastSeenAt: string | null; lastHeartbeatAt?: string | null; online: boolean;
  description?: string | null; maxPowerKw?: number | null; serialNumber?: string | null;
  connectors: { connectorId: number; status: string | null; errorCode: string | null }[];
}
export interface TransactionRow {
  id: number; chargePointId: string; connectorId: number; idTag: string; status: 'Active' | 'Completed';
  meterStartWh: number; meterStopWh: number | null; energyWh: number | null; startedAt: string; stoppedAt: string | null;
  stopReason: string | null; costIdr: number | null; costBreakdown?: Record<string, number> | null; flags: string[];
}
export interface StatusEventRow { at: string; connectorId: number; status: string; errorCode: string | null; info: string | null; vendorErrorCode: string | null }
export interface AuditRow { id: number; at: string; actor: string; action: string; chargePointId: string | null; request: unknown; result: unknown; outcome: string }

export interface ApiKeyRow { id: number; name: string; prefix: string; role: string; createdAt: string | Date | null; lastUsedAt: string | Date | null; revokedAt: string | Date | null }
export interface ApiKeyService {
  list(): Promise<ApiKeyRow[]>;
  create(input: { name: string; role: AdminRole }, actor: string): Promise<{ key: string; apiKey: ApiKeyRow }>;
  revoke(id: number, actor: string): Promise<unknown>;
}
/** Registers a charge point and, for security profiles 1/2, returns its Basic-auth key once. */
export interface ChargePointRegistry {
  register(input: { id: string; securityProfile: 0 | 1 | 2; maxPowerKw?: number | null; description?: string | null }, actor: string): Promise<{ authKey: string | null }>;
}

/** Typed access to every service the dashboard uses. */
export interface DashboardServices {
  registry: ServiceRegistry;
  live(): LiveStateService;
  settings(): CsmsServices['settings'];
  tariffs(): CsmsServices['tariffs'];
  commands(): CsmsServices['commands'];
  idTags(): IdTagService;
  adminUsers(): AdminUserService;
  reservations(): CsmsServices['reservations'];
  localList(): CsmsServices['localList'];
  firmware(): CsmsServices['firmware'];
  queries(): QueryService;
  apiKeys(): ApiKeyService;
  chargePointRegistry(): ChargePointRegistry;
  hasMl(): boolean;
  ml(): unknown;
}

export function dashboardServices(services: ServiceRegistry): DashboardServices {
  const loose = services as unknown as { get(name: string): unknown; has(name: string): boolean };
  return {
    registry: services,
    live: () => services.get('live'),
    settings: () => services.get('settings'),
    tariffs: () => services.get('tariffs'),
    commands: () => services.get('commands'),
    idTags: () => services.get('idTags'),
    adminUsers: () => services.get('adminUsers'),
    reservations: () => services.get('reservations'),
    localList: () => services.get('localList'),
    firmware: () => services.get('firmware'),
    queries: () => loose.get('queries') as QueryService,
    apiKeys: () => loose.get('apiKeys') as ApiKeyService,
    chargePointRegistry: () => loose.get('chargePointRegistry') as ChargePointRegistry,
    hasMl: () => services.has('ml'),
    ml: () => loose.get('ml'),
  };
}
