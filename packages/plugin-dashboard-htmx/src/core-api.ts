/**
 * Types of the platform services the dashboard uses, derived from `CsmsServices` of
 * @charge-it/core (so they follow the core), plus the optional `ml`.
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

// Query module (read models)
export type QueryService = CsmsServices['queries'];
export type TransactionQuery = NonNullable<Parameters<QueryService['transactions']>[0]>;
export type ChargePointRow = Awaited<ReturnType<QueryService['chargePoints']>>[number];
export type TransactionRow = Awaited<ReturnType<QueryService['transactions']>>['items'][number];
export type StatusEventRow = Awaited<ReturnType<QueryService['statusHistory']>>[number];
export type AuditRow = Awaited<ReturnType<QueryService['auditLog']>>['items'][number];

export type ApiKeyService = CsmsServices['apiKeys'];
export type ApiKeyRow = Awaited<ReturnType<ApiKeyService['list']>>[number];
export type ChargePointRegistry = CsmsServices['chargePointRegistry'];

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
  const loose = services as unknown as { get(name: string): unknown };
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
    queries: () => services.get('queries'),
    apiKeys: () => services.get('apiKeys'),
    chargePointRegistry: () => services.get('chargePointRegistry'),
    hasMl: () => services.has('ml'),
    ml: () => loose.get('ml'),
  };
}
