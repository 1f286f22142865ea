/**
 * @charge-it/core — the OCPP 1.6J central system. Public surface only; see README.md.
 */
export { createCsms, type Csms, type CreateCsmsOptions, type ListenAddress } from './create-csms.js';
export { definePlugin, type CsmsPlugin, type CsmsPluginContext, type ChargePointActionHandler } from './plugin.js';
export { csmsHookKinds, type CsmsHooks, type HookPayload } from './hooks.js';
export type { CsmsServices, ServiceRegistry, CoreInternalServices, CoreServices } from './services.js';
export type { TransactionInfo } from './domain/transactions/transaction-info.js';
export { resolveConfig, optionSpecs, type CsmsConfig, type CsmsConfigInput, type TlsConfig, type OptionSpec } from './config/index.js';
export { CsmsError, CsmsErrorCode, isCsmsError, type Logger } from './kernel/index.js';
export { isTimeZone, offsetAt, localToUtc } from './kernel/time-zone.js';
export { systemClock, type Clock } from './clock.js';
export type { ActionHandler, DataTransferHandler, IncomingCall } from './ocpp/action-router.js';
export type { ChargePointSession } from './ocpp/sessions.js';
export { hashAuthKey, hashGeneratedAuthKey, verifyAuthKey, generateAuthKey } from './ocpp/credentials.js';
export type * from './ocpp/v16/messages.js';
export {
  coreEntities,
  ChargePointSchema,
  ConnectorSchema,
  StatusEventSchema,
  DeviceEventSchema,
  IdTagSchema,
  TransactionSchema,
  MeterSampleSchema,
  OrphanMessageSchema,
  ReservationSchema,
  ChargingProfileSchema,
  LocalAuthListSchema,
  SettingSchema,
  AdminUserSchema,
  AuditLogSchema,
  type ChargePoint,
  type Connector,
  type StatusEvent,
  type DeviceEvent,
  type IdTag,
  type Transaction,
  type MeterSample,
  type OrphanMessage,
  type OrphanAction,
  type Reservation,
  type ChargingProfile,
  type LocalAuthList,
  type Setting,
  type AdminUser,
  type AuditLog,
  type ChargingScheduleJson,
  type TransactionStatus,
  type IdTagStatus as IdTagTableStatus,
  type RegistrationStatus as StoredRegistrationStatus,
} from './persistence/entities/index.js';
export { WriteBatcher, type WriteWork, type RowWork, type BatchWriter } from './persistence/write-batcher.js';
export { CORE_VERSION } from './version.js';
export { CommandService, ChargePointCommands, type CommandOptions } from './ocpp/commands.js';
export type {
  CentralSystemAction,
  CentralSystemActions,
  ChargingProfile as OcppChargingProfile,
  ChargingSchedule,
  ChargingSchedulePeriod,
  ChargingProfilePurpose,
  ChargingProfileKind,
  ChargingRateUnit,
  AuthorizationData,
  MessageTrigger,
} from './ocpp/v16/central-system-messages.js';
export { CENTRAL_SYSTEM_ACTIONS } from './ocpp/v16/central-system-messages.js';
export {
  SettingsService,
  DEFAULT_SETTINGS,
  type Settings,
  type SettingKey,
  type TariffSettings,
  type SiteSettings,
} from './domain/settings/settings-service.js';
// Operations (issue 3): the services are reachable as `csms.services.get(name)`; their types here.
export { computeCost, type Cost, type CostBreakdown, type CostInput, type TimeSource } from './domain/tariffs/compute-cost.js';
export { TariffService, type QuoteInput, type TransactionCost } from './domain/tariffs/tariff-service.js';
export {
  ReservationService,
  RESERVATION_STATUSES,
  type ReservationStatus,
  type ReserveInput,
  type ReservationListQuery,
  type CancelResult,
} from './domain/reservations/reservation-service.js';
export { LocalListService, type LocalListSyncResult, type LocalListState, type LocalListOptions } from './domain/local-list/local-list-service.js';
export { FirmwareService, FILES_PATH, type DiagnosticsStatus, type FirmwareStatus } from './domain/firmware/firmware-service.js';
export { HealingService, CONNECTOR_AVAILABLE_WHILE_ACTIVE, type HealingAction, type HealingOptions } from './domain/healing/healing-service.js';
export { allocatePower, type AllocationInput, type AllocationResult } from './domain/smart-charging/allocate-power.js';
export {
  LoadManagementService,
  type LoadManagementStatus,
  type LoadManagementAllocation,
  type StoredChargingProfile,
  type ProfileStatus,
  type SessionAdvisor,
  type AdvisedSession,
} from './domain/smart-charging/load-management-service.js';
export { MaintenanceService, type MaintenanceStatus } from './domain/maintenance/maintenance-service.js';
export { API_V1_PREFIX } from './http/api/register-api-v1.js';
export { ApiKeyService, API_ROLES, type ApiPrincipal } from './http/api/api-keys.js';
export type { ApiKey, ApiRole } from './persistence/entities/index.js';
// Live state (issue 7): `services.get('live')`, src/domain/live, docs/rest-api.md "Live state".
export {
  maskIdTag,
  toPublicConnectorView,
  InProcessLiveBus,
  type LiveBus,
  type LiveStateService,
  type LiveSnapshot,
  type LiveSite,
  type LiveChargePoint,
  type LiveConnector,
  type LiveSession,
  type LiveSessionSummary,
  type LiveEvent,
  type LiveFilter,
  type LiveListener,
  type PublicConnectorView,
  type PublicSessionView,
  type PublicSessionSummary,
} from './domain/live/index.js';
// Historical sessions (issue 14): `services.get('history')` writes CSV imports and synthetic demo data.
export {
  HistoryService,
  HISTORY_FLAGS,
  UNKNOWN_ID_TAG,
  type HistoricalSessionInput,
  type HistoryImportOptions,
  type HistoryImportResult,
} from './domain/history/history-service.js';
export type { RouteRole as ApiRouteRole } from './http/api/api-auth.js';
// Domain services (issue 7): `services.get('idTags')`, `services.get('adminUsers')`, `services.get('queries')`.
export {
  IdTagService,
  ID_TAG_STATUSES,
  ID_TAG_PATTERN,
  type IdTagInput,
  type IdTagView,
  type IdTagListQuery,
  type IdTagImportResult,
  type IdTagChange,
} from './domain/id-tags/id-tag-service.js';
export type { IdTagsChangedPayload } from './hooks.js';
export { CRITICAL_SECURITY_EVENTS, SecurityEventService } from './domain/security/security-event-service.js';
export type { SecurityEventPayload, SecurityEventView, SecurityExtensionKind } from './domain/security/security-event-service.js';
export {
  AdminUserService,
  ADMIN_ROLES,
  ADMIN_USERNAME_PATTERN,
  ADMIN_PASSWORD_MIN_LENGTH,
  type AdminUserView,
} from './domain/admin-users/admin-user-service.js';
export type { AdminRole } from './persistence/entities/index.js';
export {
  QueryService,
  TRANSACTION_SORT_KEYS,
  type TransactionSortKey,
  type TransactionQuery,
  type AuditQuery,
  type Page,
  type ChargePointRow,
  type TransactionRow,
  type MeterSampleRow,
  type StatusEventRow,
  type AuditRow,
  type OrphanRow,
  type ReservationRow,
  type MeterSeries,
  type SessionStatsRow,
  type PowerRow,
  type AnalysisSession,
} from './domain/queries/query-service.js';
export { ChargePointRegistry, type RegisterChargePointInput } from './domain/charge-points/charge-point-registry.js';
// Prometheus metrics (issue 8 §7): `services.get('metrics')`, served at GET /metrics (docs/metrics.md).
export { CsmsMetrics, type MetricsSources, type BatchObservation } from './observability/metrics.js';
