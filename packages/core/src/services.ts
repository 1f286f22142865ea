import type { SecurityEventService } from './domain/security/security-event-service.js';
import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from './clock.js';
import type { CsmsConfig } from './config/index.js';
import type { AuthorizationService } from './domain/authorization/authorization-service.js';
import type { ChargePointService } from './domain/charge-points/charge-point-service.js';
import type { TransactionService } from './domain/transactions/transaction-service.js';
import type { CsmsHooks } from './hooks.js';
import type { HookRunner } from './kernel/hooks.js';
import type { Logger } from './kernel/logger.js';
import type { CommandService } from './ocpp/commands.js';
import type { Sessions } from './ocpp/sessions.js';
import type { SettingsService } from './domain/settings/settings-service.js';
import type { SampleInbox } from './persistence/sample-inbox.js';
import type { LoadGauge } from './kernel/load-gauge.js';
import type { WriteBatcher } from './persistence/write-batcher.js';
import type { LoadManagementService } from './domain/smart-charging/load-management-service.js';
import type { MaintenanceService } from './domain/maintenance/maintenance-service.js';
import type { FirmwareService } from './domain/firmware/firmware-service.js';
import type { HealingService } from './domain/healing/healing-service.js';
import type { LocalListService } from './domain/local-list/local-list-service.js';
import type { ReservationService } from './domain/reservations/reservation-service.js';
import type { TariffService } from './domain/tariffs/tariff-service.js';
import type { IdTagService } from './domain/id-tags/id-tag-service.js';
import type { AdminUserService } from './domain/admin-users/admin-user-service.js';
import type { QueryService } from './domain/queries/query-service.js';
import type { ChargePointRegistry } from './domain/charge-points/charge-point-registry.js';
import type { ApiKeyService } from './http/api/api-keys.js';
import type { LiveStateService } from './domain/live/live-types.js';
import type { HistoryService } from './domain/history/history-service.js';
import type { CsmsMetrics } from './observability/metrics.js';

/**
 * The services plugins can `get`, by name: the core's public services and, by declaration merging,
 * those plugins provide:
 *
 * ```ts
 * declare module '@charge-it/core' {
 *   interface CsmsServices { ml: MlService }
 * }
 * ctx.provide('ml', new MlService(...));   // checked against MlService
 * ctx.services.get('ml');                  // typed MlService; an unknown name is a compile error
 * ```
 *
 * The core's internals (ORM, write batcher, websocket sessions, hook runner, the OCPP-facing
 * domain services) are deliberately not here: plugins reach data through the public services.
 */
export interface CsmsServices {
  config: CsmsConfig;
  log: Logger;
  clock: Clock;
  settings: SettingsService;
  tariffs: TariffService;
  commands: CommandService;
  loadManagement: LoadManagementService;
  maintenance: MaintenanceService;
  localList: LocalListService;
  firmware: FirmwareService;
  healing: HealingService;
  reservations: ReservationService;
  /** The IdTag table: create, update, block, expire, delete, CSV import (validated, audited, `onIdTagsChanged`). */
  idTags: IdTagService;
  /** Dashboard logins: scrypt-hashed passwords, roles viewer/operator/admin. */
  adminUsers: AdminUserService;
  /** Read models: charge points, transactions (filters, pages, sort allowlist), meter series, history, audit log, aggregates. */
  queries: QueryService;
  /** Prometheus metrics (prom-client): `metrics.registry` takes a plugin's own metrics, served at GET /metrics. */
  metrics: CsmsMetrics;
  /** Registers charge points (Basic-auth key generated and returned once for profiles 1/2). */
  chargePointRegistry: ChargePointRegistry;
  /** REST API keys: create (key returned once), list, revoke. */
  apiKeys: ApiKeyService;
  /** The site as it is now (charge points, connectors, running sessions, site power): snapshot and coalesced events. */
  live: LiveStateService;
  /** Writes completed historical sessions (CSV imports, synthetic demo data) flagged `imported` / `synthetic`. */
  history: HistoryService;
  /** SecurityEventNotification / SignedFirmwareStatusNotification / LogStatusNotification / SignCertificate as stored (`list`). */
  securityEvents: SecurityEventService;
}

/**
 * The core's internal services. Only the composition root (create-csms.ts) hands them out: to the
 * built-in features, the REST layer and the application that owns the `Csms` (`csms.services`).
 * A plugin's `ctx.services` refuses them.
 */
export interface CoreInternalServices {
  orm: MikroORM;
  batcher: WriteBatcher;
  sampleInbox: SampleInbox;
  /** How busy the process is; background work awaits `load.calm()`. */
  load: LoadGauge;
  hooks: HookRunner<CsmsHooks>;
  sessions: Sessions;
  chargePointService: ChargePointService;
  authorization: AuthorizationService;
  transactions: TransactionService;
}

/** The names `CoreInternalServices` has, at run time (a plugin's registry refuses them). */
export const CORE_INTERNAL_SERVICE_NAMES: readonly (keyof CoreInternalServices)[] = [
  'orm',
  'batcher',
  'sampleInbox',
  'load',
  'hooks',
  'sessions',
  'chargePointService',
  'authorization',
  'transactions',
];

/**
 * Everything the core registers: public and internal.
 * @deprecated plugins use `CsmsServices`; this is kept for applications that read internals from `csms.services`.
 */
export type CoreServices = CsmsServices & CoreInternalServices;

/** Services by name, typed by `S` (for plugins: `CsmsServices`). */
export interface ServiceRegistry<S = CsmsServices> {
  /**
   * The service registered under `name`. Throws a `CsmsError` with code `CSMS_ERR_SERVICE_MISSING`
   * naming the service when nobody provides it (e.g. its plugin is not installed).
   */
  get<K extends keyof S & string>(name: K): S[K];
  /** Whether a service is registered (for optional integrations: `if (services.has('ml')) ...`). */
  has(name: string): boolean;
}
