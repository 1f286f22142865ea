import type { MikroORM } from '@mikro-orm/core';
import { asClass, asFunction, asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AddressInfo } from 'node:net';
import { pino, type Logger as PinoLogger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { resolveConfig, unknownEnvVariables, type CsmsConfig, type CsmsConfigInput } from './config/index.js';
import { AuthorizationService } from './domain/authorization/authorization-service.js';
import { ChargePointService } from './domain/charge-points/charge-point-service.js';
import { TransactionService } from './domain/transactions/transaction-service.js';
import { loadManagementPlugin } from './domain/smart-charging/load-management-plugin.js';
import { maintenancePlugin } from './domain/maintenance/maintenance-plugin.js';
import { reservationsPlugin } from './domain/reservations/reservations-plugin.js';
import { tariffsPlugin } from './domain/tariffs/tariffs-plugin.js';
import { firmwarePlugin } from './domain/firmware/firmware-plugin.js';
import { healingPlugin } from './domain/healing/healing-plugin.js';
import { localListPlugin } from './domain/local-list/local-list-plugin.js';
import { startLiveState } from './domain/live/start-live-state.js';
import type { LiveState } from './domain/live/live-state.js';
import { csmsHookKinds, type CsmsHooks } from './hooks.js';
import { createHttpApp, registerHealthRoute } from './http/create-http-app.js';
import { registerApiV1 } from './http/api/register-api-v1.js';
import { registerPublicLiveRoutes } from './http/live/public-live-routes.js';
import { CsmsError, CsmsErrorCode } from './kernel/errors.js';
import { HookRunner } from './kernel/hooks.js';
import { loadPlugins, type LoadedPlugins } from './kernel/plugin-loader.js';
import { withTimeout } from './kernel/with-timeout.js';
import { ActionRouter, type ActionHandler, type IncomingCall } from './ocpp/action-router.js';
import { CommandService, type ChargePointCommands } from './ocpp/commands.js';
import { SettingsService } from './domain/settings/settings-service.js';
import { IdTagService } from './domain/id-tags/id-tag-service.js';
import { AdminUserService } from './domain/admin-users/admin-user-service.js';
import { QueryService } from './domain/queries/query-service.js';
import { ChargePointRegistry } from './domain/charge-points/charge-point-registry.js';
import { HistoryService } from './domain/history/history-service.js';
import { SecurityEventService, type SecurityEventNotificationRequest } from './domain/security/security-event-service.js';
import { createRpcGateway, type RpcGateway } from './ocpp/rpc-gateway.js';
import { Sessions, type ChargePointConnection, type RpcConnection } from './ocpp/sessions.js';
import { createTlsOptions, createTlsReloader } from './ocpp/tls-options.js';
import { createCoreHandlers } from './ocpp-handlers.js';
import { CsmsMetrics } from './observability/metrics.js';
import { registerMetricsRoute, startMetricsServer, type MetricsServer } from './http/metrics/metrics-routes.js';
import { createOrm } from './persistence/create-orm.js';
import { isSqlite } from './persistence/dialect.js';
import { SampleInbox } from './persistence/sample-inbox.js';
import { LoadGauge } from './kernel/load-gauge.js';
import { WriteBatcher } from './persistence/write-batcher.js';
import type { CsmsPlugin, CsmsPluginContext } from './plugin.js';
import { CORE_INTERNAL_SERVICE_NAMES, type CoreInternalServices, type CsmsServices, type ServiceRegistry } from './services.js';

export interface CreateCsmsOptions extends CsmsConfigInput {
  plugins?: readonly CsmsPlugin[];
  /** Environment to read `CHARGE_IT_*` variables from; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** A pino logger to use instead of creating one from `logLevel`. */
  logger?: PinoLogger;
  /** Time source (tests). */
  clock?: Clock;
  /** `CHARGE_IT_*` variables the application reads itself, so that start does not warn about them. */
  knownEnv?: readonly string[];
}

export interface ListenAddress {
  host: string;
  port: number;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:9000 */
  url: string;
  /** Base URL charge points connect to: `<ocppUrl>/<chargePointId>`. */
  ocppUrl: string;
  /** `http://host:port/metrics` of the separate metrics port (`metrics.port`), else undefined. */
  metricsUrl?: string | undefined;
}

export interface Csms {
  readonly config: CsmsConfig;
  readonly log: PinoLogger;
  readonly http: FastifyInstance;
  readonly orm: MikroORM;
  readonly hooks: HookRunner<CsmsHooks>;
  /**
   * Every service by name: the public ones (`CsmsServices`, what plugins get) and, for the
   * application that owns this CSMS, the core's internals (`CoreInternalServices`).
   */
  readonly services: ServiceRegistry<CsmsServices & CoreInternalServices>;
  /** Connected charge points. */
  readonly sessions: Sessions;
  /** Operator commands: `csms.chargePoints.get('CP-1').reset({ type: 'Soft' })`. */
  readonly chargePoints: { get(chargePointId: string): ChargePointCommands };
  listen(): Promise<ListenAddress>;
  /** Waits until every queued observe hook has run. */
  drain(): Promise<void>;
  /**
   * Re-reads the TLS certificate and key files (and the client CA) and uses them for new
   * connections, without a restart (call it on SIGHUP or from a certbot deploy hook). The files are
   * also polled every 10 s and reloaded when they change. No-op without TLS.
   */
  reloadTls(): Promise<void>;
  /**
   * Graceful shutdown: waits for calls being handled, closes charge point connections (1001),
   * drains hook queues, tears plugins down in reverse, flushes pending writes, closes the database.
   */
  close(): Promise<void>;
}

const IN_FLIGHT_GRACE_MS = 10_000;
/** How often the TLS files are polled for a change (csms.reloadTls() reloads at once). */
const TLS_WATCH_INTERVAL_MS = 10_000;

/**
 * The composition root: config → logger → database → container → plugins → HTTP + OCPP. The only
 * place that builds the awilix container or resolves from it.
 */
export async function createCsms(options: CreateCsmsOptions = {}): Promise<Csms> {
  const { plugins: userPlugins = [], env = process.env, logger, clock = systemClock, knownEnv = [], ...configInput } = options;
  const config = resolveConfig(configInput, env);
  const log = logger ?? pino({ level: config.logLevel, base: { service: 'charge-it' } });
  for (const { name, suggestion } of unknownEnvVariables(env, knownEnv)) {
    log.warn({ variable: name, suggestion }, `${name} is set but no option reads it${suggestion ? `; did you mean ${suggestion}?` : ''} (ignored)`);
  }

  const https = config.tls ? await createTlsOptions(config.tls) : null;
  const http = createHttpApp({ logger: log, https });
  const tlsReloader = config.tls
    ? createTlsReloader(http.server as unknown as { setSecureContext(o: Record<string, unknown>): void }, config.tls, log.child({ component: 'tls' }), TLS_WATCH_INTERVAL_MS)
    : null;

  // Prometheus metrics (docs/metrics.md): counters reported by the components, gauges read at scrape time.
  const metrics = new CsmsMetrics({
    connectedChargePoints: () => container.cradle.sessions.size,
    hookQueueDepth: () => container.cradle.hooks.pendingCount,
    hookFailures: () => container.cradle.hooks.failureCounts,
  });

  const orm = await createOrm({
    databaseUrl: config.databaseUrl,
    extraEntities: userPlugins.flatMap((p) => [...(p.entities ?? [])]),
    logger: (msg) => log.debug({ component: 'orm' }, msg),
    log: log.child({ component: 'persistence' }),
  });

  const container: AwilixContainer<CsmsServices & CoreInternalServices & Record<string, unknown>> = createContainer({
    injectionMode: InjectionMode.PROXY,
    strict: true,
  });
  const load = new LoadGauge({ busyAbove: config.background.busyPercent / 100, maxDeferMs: config.background.maxDeferMs });
  load.start();
  container.register({
    config: asValue(config),
    log: asValue(log),
    clock: asValue(clock),
    orm: asValue(orm),
    metrics: asValue(metrics),
    batcher: asFunction(
      ({ orm: o, log: l }: Pick<CoreInternalServices & CsmsServices, 'orm' | 'log'>) =>
        new WriteBatcher({
          orm: o, log: l, maxDelayMs: config.persistence.batchDelayMs, maxBatch: config.persistence.maxBatch,
          onBatch: (b) => metrics.batchCommitted(b),
        }),
    ).singleton(),
    sampleInbox: asFunction(
      ({ batcher: b, log: l }: Pick<CoreInternalServices & CsmsServices, 'batcher' | 'log'>) => new SampleInbox({ batcher: b, log: l.child({ component: 'samples' }), intervalMs: config.persistence.sampleInboxMs, enabled: isSqlite(orm.em) }),
    ).singleton(),
    load: asValue(load),
    hooks: asValue(
      new HookRunner<CsmsHooks>({
        kinds: csmsHookKinds,
        log: log.child({ component: 'hooks' }),
        decideTimeoutMs: config.hooks.decideTimeoutMs,
        observeTimeoutMs: config.hooks.observeTimeoutMs,
        // Payloads are plain read-only data: one plugin cannot change what the next one sees.
        freezeArgs: true,
      }),
    ),
    sessions: asClass(Sessions).singleton(),
    chargePointService: asClass(ChargePointService).singleton(),
    commands: asClass(CommandService).singleton(),
    settings: asClass(SettingsService).singleton(),
    authorization: asClass(AuthorizationService).singleton(),
    transactions: asClass(TransactionService).singleton(),
    idTags: asClass(IdTagService).singleton(),
    adminUsers: asClass(AdminUserService).singleton(),
    history: asClass(HistoryService).singleton(),
    queries: asFunction(
      ({ orm: o, sessions: s, log: l, sampleInbox }: Pick<CoreInternalServices & CsmsServices, 'orm' | 'sessions' | 'log' | 'sampleInbox'>) =>
        new QueryService({ orm: o, sessions: s, log: l, samples: sampleInbox, optional: (name) => (container.hasRegistration(name) ? container.resolve(name) : undefined) }),
    ).singleton(),
    chargePointRegistry: asClass(ChargePointRegistry).singleton(),
    securityEvents: asClass(SecurityEventService).singleton(),
  });
  const cradle = container.cradle;
  const { hooks, sessions, chargePointService: chargePoints, batcher, commands } = cradle;

  // Live state (`live`): fed by observe hooks registered before any plugin's, loaded from the database.
  let live: LiveState;
  try {
    await cradle.sampleInbox.settle(); // samples a crash left in the inbox, before anything reads them
    live = await startLiveState({ config, log, clock, orm, settings: cradle.settings, hooks, registrationOf: (id) => sessions.get(id)?.registrationStatus });
  } catch (err) {
    load.close();
    await batcher.close();
    await orm.close();
    throw err;
  }
  container.register({ live: asValue(live) });

  const router: ActionRouter = new ActionRouter(
    {
      log: log.child({ component: 'ocpp' }),
      markSeen: (id, at) => {
        chargePoints.seen(id, at);
        live.seen(id, at);
      },
      onCallHandled: (action, outcome) => metrics.callHandled(action, outcome),
    },
    createCoreHandlers({
      chargePoints,
      authorization: cradle.authorization,
      transactions: cradle.transactions,
      vendorHandler: (vendorId) => router.vendorHandler(vendorId),
    }),
  );

  // The 1.6 security extension messages a charger may send (stored, answered; critical events alerted).
  const securityEvents = cradle.securityEvents;
  // Their params passed the gateway's strict validation (ocpp-rpc's 1.6 schemas include the security extension).
  type StatusRequest = { status: string; requestId?: number };
  router.claim('core', 'SecurityEventNotification', async (call: IncomingCall<SecurityEventNotificationRequest>) => (await securityEvents.securityEvent(call.chargePointId, call.params, call.receivedAt), {}));
  router.claim('core', 'SignedFirmwareStatusNotification', async (call: IncomingCall<StatusRequest>) => (await securityEvents.signedFirmwareStatus(call.chargePointId, call.params, call.receivedAt), {}));
  router.claim('core', 'LogStatusNotification', async (call: IncomingCall<StatusRequest>) => (await securityEvents.logStatus(call.chargePointId, call.params, call.receivedAt), {}));
  router.claim('core', 'SignCertificate', (call: IncomingCall<{ csr: string }>) => securityEvents.signCertificate(call.chargePointId, call.params, call.receivedAt));

  // Core features built on the plugin contract (load management, maintenance mode, ...), set up
  // before the application's plugins. They get the internals they need from here, not from ctx.
  const internals = { orm, batcher, sessions, authorization: cradle.authorization, sampleInbox: cradle.sampleInbox, load };
  const builtIn: CsmsPlugin[] = [
    tariffsPlugin(internals),
    reservationsPlugin(internals),
    localListPlugin(internals),
    firmwarePlugin(internals),
    healingPlugin(internals),
    loadManagementPlugin(internals),
    maintenancePlugin(internals),
  ];
  const plugins = [...builtIn, ...userPlugins];

  // The application's registry (public + internal services) and the plugins' (public only).
  const services: ServiceRegistry<CsmsServices & CoreInternalServices> = {
    get: (name) => {
      if (!container.hasRegistration(name)) {
        throw new CsmsError(CsmsErrorCode.SERVICE_MISSING, `no service named "${name}" is registered; is the plugin that provides it installed?`, {
          details: { service: name },
        });
      }
      return container.resolve(name);
    },
    has: (name: string) => container.hasRegistration(name),
  };
  const internalNames = new Set<string>(CORE_INTERNAL_SERVICE_NAMES);
  const pluginServices: ServiceRegistry<CsmsServices> = {
    get: (name) => {
      if (internalNames.has(name)) {
        throw new CsmsError(
          CsmsErrorCode.SERVICE_MISSING,
          `"${name}" is internal to the core and not available to plugins; use the public services (settings, tariffs, commands, ...)`,
          { details: { service: name, internal: true } },
        );
      }
      return services.get(name);
    },
    has: (name: string) => !internalNames.has(name) && container.hasRegistration(name),
  };

  // REST routes plugins register with ctx.apiRoutes, mounted inside the API scope by registerApiV1.
  const pluginApiRoutes: { plugin: FastifyPluginAsync; prefix?: string }[] = [];
  let loaded: LoadedPlugins;
  try {
    loaded = await loadPlugins<CsmsPluginContext, CsmsHooks>({
      plugins,
      hooks,
      log,
      setupTimeoutMs: config.pluginSetupTimeoutMs,
      createContext: (base, gate) => ({
        ...base,
        config,
        services: pluginServices,
        provide(name, value) {
          gate.assertOpen(base.pluginName, `service "${name}"`);
          if (container.hasRegistration(name)) {
            throw new CsmsError(CsmsErrorCode.SERVICE_COLLISION, `plugin "${base.pluginName}" provides "${name}", which is already registered; pick another name`, {
              details: { service: name, plugin: base.pluginName },
            });
          }
          container.register(name, asValue(value));
        },
        on(hook, handler) {
          gate.assertOpen(base.pluginName, `a ${hook} hook`);
          // Registered now, during this plugin's setup: the same order as definition hooks (plugin order).
          hooks.register(base.pluginName, { [hook]: handler });
        },
        handle(action, handler, opts) {
          gate.assertOpen(base.pluginName, `a handler for ${action}`);
          router.claim(base.pluginName, action, handler as ActionHandler, opts);
        },
        handleDataTransfer(vendorId, handler) {
          gate.assertOpen(base.pluginName, `a DataTransfer handler for ${vendorId}`);
          router.claimDataTransfer(base.pluginName, vendorId, handler);
        },
        routes(fastifyPlugin, opts) {
          gate.assertOpen(base.pluginName, 'routes');
          void http.register(fastifyPlugin, opts?.prefix ? { prefix: opts.prefix } : {});
        },
        apiRoutes(fastifyPlugin, opts) {
          gate.assertOpen(base.pluginName, 'API routes');
          pluginApiRoutes.push({ plugin: fastifyPlugin, prefix: opts?.prefix });
        },
        em: () => orm.em.fork(),
      }),
    });
  } catch (err) {
    load.close();
    await batcher.close();
    await orm.close();
    throw err;
  }

  registerHealthRoute(http, { orm: () => orm, connectedChargePoints: () => sessions.size });

  // REST API v1 at /api/v1 (API keys with roles, OpenAPI): src/http/api, docs/rest-api.md. Syncs the
  // bootstrap admin key (config.apiAdminKey) first, so a bad key fails the start here.
  try {
    const apiKeys = await registerApiV1(http, {
      config, log: log.child({ component: 'api' }), clock, orm, batcher, sessions, commands, services,
      settings: cradle.settings, chargePointService: chargePoints, pluginRoutes: pluginApiRoutes,
    });
    container.register('apiKeys', asValue(apiKeys));
    if (config.metrics.enabled && config.metrics.port === undefined) registerMetricsRoute(http, { metrics, apiKeys });
    // The public driver view (/public/v1/connectors/...), only when `publicLive` is on.
    if (config.publicLive) registerPublicLiveRoutes(http, { config, live, clock, log: log.child({ component: 'public-live' }) });
  } catch (err) {
    await loaded.close();
    load.close();
    await batcher.close();
    await orm.close();
    throw err;
  }

  // Registration statuses read during the handshake, handed to the session that follows it.
  const pendingRegistration = new Map<string, ChargePointConnection['registrationStatus']>();
  const gateway: RpcGateway = createRpcGateway({
    server: http.server,
    logger: log.child({ component: 'gateway' }),
    lookupChargePoint: async (identity) => {
      const found = await chargePoints.lookup(identity);
      if (found) pendingRegistration.set(identity, found.registrationStatus);
      return found;
    },
    registerChargePoint: (identity) => chargePoints.register(identity),
    onRefused: (status, reason) => metrics.handshakeRefused(status, reason),
    onCallErrorSent: (code) => metrics.callErrorSent(code),
    onConnection: (client, info) => {
      const session: ChargePointConnection = {
        chargePointId: info.identity,
        client: client as unknown as RpcConnection,
        connectedAt: new Date(),
        remoteAddress: info.remoteAddress,
        registrationStatus: pendingRegistration.get(info.identity) ?? null,
      };
      pendingRegistration.delete(info.identity);
      router.attach(session);
      const replaced = sessions.add(session);
      if (replaced) {
        log.warn({ chargePointId: info.identity }, 'charge point reconnected while its previous connection was open; closing the old one');
        void replaced.client.close({ code: 1000, reason: 'replaced by a new connection' });
      }
      chargePoints.seen(info.identity, session.connectedAt);
      hooks.observe('onChargePointConnected', { chargePointId: info.identity, remoteAddress: info.remoteAddress, at: session.connectedAt }, info.identity);
    },
    onDisconnect: (client, { identity, code, reason }) => {
      // Only when it is still the charge point's current connection (not one a reconnect replaced).
      const session = sessions.get(identity);
      if (session && session.client === (client as unknown) && sessions.remove(session)) {
        hooks.observe('onChargePointDisconnected', { chargePointId: identity, code, reason, at: new Date() }, identity);
      }
    },
    options: {
      callTimeoutMs: config.ocpp.callTimeoutMs,
      pingIntervalMs: config.ocpp.pingInterval * 1000,
      maxPayload: config.ocpp.maxFrameBytes,
      handshakeTimeoutMs: config.ocpp.handshakeTimeoutMs,
      maxBadMessages: config.ocpp.maxBadMessages,
      maxConnectionsPerIp: config.ocpp.maxConnectionsPerIp,
      maxPendingHandshakesPerIp: config.ocpp.maxPendingHandshakesPerIp,
      maxPendingHandshakes: config.ocpp.maxPendingHandshakes,
      maxAuthFailuresPerIp: config.ocpp.maxAuthFailuresPerIp,
      autoRegister: config.autoRegister,
      silentTimeoutMs: config.ocpp.silentTimeout * 1000,
    },
  });
  chargePoints.start();

  let metricsServer: MetricsServer | undefined;
  let closing: Promise<void> | undefined;
  const csms: Csms = {
    config,
    log,
    http,
    orm,
    hooks,
    services,
    sessions,
    chargePoints: { get: (chargePointId) => commands.for(chargePointId) },
    async listen() {
      try {
        await http.listen({ port: config.port, host: config.host, backlog: config.listenBacklog });
      } catch (err) {
        log.error({ err, host: config.host, port: config.port }, 'start failed: cannot listen; stored credentials (the bootstrap API key) were left unchanged');
        throw new CsmsError(CsmsErrorCode.LISTEN, `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}; set CHARGE_IT_PORT / CHARGE_IT_HOST`, {
          cause: err,
        });
      }
      if (config.metrics.enabled && config.metrics.port !== undefined && !metricsServer) {
        try {
          metricsServer = await startMetricsServer({ metrics, port: config.metrics.port, host: config.metrics.host, log });
        } catch (err) {
          await http.close();
          throw new CsmsError(CsmsErrorCode.LISTEN, `cannot listen for metrics on ${config.metrics.host}:${config.metrics.port}: ${(err as Error).message}; set CHARGE_IT_METRICS_PORT / CHARGE_IT_METRICS_HOST`, {
            cause: err,
          });
        }
      }
      // Stored credentials change only now that the start has succeeded (issue 8 §5).
      try {
        await services.get('apiKeys').syncBootstrapKey(config.apiAdminKey);
      } catch (err) {
        await http.close();
        throw err;
      }
      const address = http.server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const shownHost = config.host === '0.0.0.0' ? '127.0.0.1' : host;
      const scheme = config.tls ? 'https' : 'http';
      const url = `${scheme}://${shownHost}:${address.port}`;
      const ocppUrl = `${config.tls ? 'wss' : 'ws'}://${shownHost}:${address.port}/ocpp`;
      log.info({ url, ocppUrl, database: redactUrl(config.databaseUrl), plugins: loaded.order }, 'Charge-IT CSMS listening');
      const metricsUrl = metricsServer ? `http://${config.metrics.host === '0.0.0.0' ? '127.0.0.1' : config.metrics.host}:${metricsServer.port}/metrics` : undefined;
      return { host: address.address, port: address.port, url, ocppUrl, metricsUrl };
    },
    drain: () => hooks.drain(),
    reloadTls: async () => {
      await tlsReloader?.reload();
    },
    close() {
      closing ??= (async () => {
        tlsReloader?.close();
        await withTimeout(router.idle(), IN_FLIGHT_GRACE_MS);
        await gateway.close();
        await withTimeout(router.idle(), IN_FLIGHT_GRACE_MS);
        await hooks.drain();
        live.close();
        load.close(); // deferred background work runs now (or sees the closing service)
        await loaded.close();
        await chargePoints.stop();
        await cradle.sampleInbox.close();
        await batcher.close();
        await http.close();
        await metricsServer?.close();
        metrics.close();
        await orm.close();
        log.info('Charge-IT CSMS closed');
      })();
      return closing;
    },
  };
  return csms;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
