import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import type { ChargePointService } from '../../domain/charge-points/charge-point-service.js';
import type { SettingsService } from '../../domain/settings/settings-service.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { Sessions } from '../../ocpp/sessions.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import type { ServiceRegistry } from '../../plugin.js';
import type { ApiKeyService } from './api-keys.js';

/** What the REST API needs from the CSMS (the composition root passes it; no container here). */
export interface ApiDeps {
  config: CsmsConfig;
  log: Logger;
  clock: Clock;
  orm: MikroORM;
  batcher: WriteBatcher;
  sessions: Sessions;
  commands: CommandService;
  settings: SettingsService;
  chargePointService: ChargePointService;
  /** For the services built-in features provide (tariffs, reservations, loadManagement, localList), looked up per request. */
  services: ServiceRegistry;
}

/** What every route module of the API gets. */
export interface ApiContext extends ApiDeps {
  apiKeys: ApiKeyService;
}
