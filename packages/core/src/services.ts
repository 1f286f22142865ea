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
import type { WriteBatcher } from './persistence/write-batcher.js';
import type { LoadManagementService } from './domain/smart-charging/load-management-service.js';
import type { MaintenanceService } from './domain/maintenance/maintenance-service.js';
import type { FirmwareService } from './domain/firmware/firmware-service.js';
import type { HealingService } from './domain/healing/healing-service.js';
import type { LocalListService } from './domain/local-list/local-list-service.js';
import type { ReservationService } from './domain/reservations/reservation-service.js';
import type { TariffService } from './domain/tariffs/tariff-service.js';

/** The services the core registers in its container, by name. */
export interface CoreServices {
  config: CsmsConfig;
  log: Logger;
  clock: Clock;
  orm: MikroORM;
  batcher: WriteBatcher;
  hooks: HookRunner<CsmsHooks>;
  sessions: Sessions;
  chargePointService: ChargePointService;
  commands: CommandService;
  settings: SettingsService;
  authorization: AuthorizationService;
  transactions: TransactionService;
  loadManagement: LoadManagementService;
  maintenance: MaintenanceService;
  localList: LocalListService;
  firmware: FirmwareService;
  healing: HealingService;
  tariffs: TariffService;
  reservations: ReservationService;
}
