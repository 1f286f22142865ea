import type { FastifyPluginAsync } from 'fastify';
import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import type { ChargePointService } from '../../domain/charge-points/charge-point-service.js';
import type { SettingsService } from '../../domain/settings/settings-service.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { Sessions } from '../../ocpp/sessions.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import type { CoreInternalServices, CsmsServices, ServiceRegistry } from '../../services.js';
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
  /** Routes plugins registered with `ctx.apiRoutes`, mounted inside the API scope after the core's. */
  pluginRoutes?: readonly { plugin: FastifyPluginAsync; prefix?: string }[];
  /** For the services built-in features provide (tariffs, reservations, loadManagement, localList), looked up per request. */
  services: ApiServiceRegistry;
}

/**
 * The REST layer's view of the registry (handed over by the composition root): every service, typed
 * by name. The untyped `get<T>(name)` form is kept for route modules not yet converted.
 */
export interface ApiServiceRegistry extends ServiceRegistry<CsmsServices & CoreInternalServices> {
  get<K extends keyof (CsmsServices & CoreInternalServices) & string>(name: K): (CsmsServices & CoreInternalServices)[K];
  /** @deprecated use the typed form `get('name')`. */
  get<T>(name: string): T;
}

/** What every route module of the API gets. */
export interface ApiContext extends ApiDeps {
  apiKeys: ApiKeyService;
}
