import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HookRunner, loadPlugins, withTimeout, type LoadedPlugins, type Logger } from '@charge-it/core/kernel';
import { pino } from 'pino';
import type { Readable } from 'node:stream';
import { AuthorizationCache } from './auth/authorization-cache.js';
import { Authorizer } from './auth/authorizer.js';
import { LocalAuthList } from './auth/local-auth-list.js';
import { parseCableConfig } from './cable/cable-config.js';
import { CableDetection } from './cable/cable-detection.js';
import type { GpioFactory } from './cable/gpio-input.js';
import { loadEdgeConfig, type EdgeConfig } from './config/edge-config.js';
import { configKeyDefinitions } from './config-keys/config-key-definitions.js';
import { ConfigurationStore } from './config-keys/configuration-store.js';
import type { ChargePointEvents } from './connectors/charge-point-events.js';
import { ChargePointController } from './connectors/charge-point-controller.js';
import { createMeterDriver } from './meter/create-meter-driver.js';
import type { MeterDriver } from './meter/meter-driver.js';
import { BootStateMachine, REBOOT_INFO } from './ocpp/boot-state-machine.js';
import { Clock } from './ocpp/clock.js';
import { Connection } from './ocpp/connection.js';
import { createCsCallRouter } from './ocpp/cs-call-router.js';
import type { HandlerContext } from './ocpp/handlers/handler-context.js';
import { CENTRAL_SYSTEM_ACTIONS, type ChargePointErrorCode, type IdTagInfo } from './ocpp/ocpp-types.js';
import { Outbox } from './ocpp/outbox.js';
import type { CardOutcome, CardPresentation } from './plugins/card-presentation.js';
import { EDGE_HOOK_KINDS, type EdgeHooks } from './plugins/edge-hooks.js';
import type { BootState, EdgeChargePointView, EdgePlugin, EdgePluginContext } from './plugins/edge-plugin.js';
import { CredentialStore } from './security/credential-store.js';
import { SecurityEventReporter } from './security/security-events.js';
import { ChargingProfileStore } from './smart-charging/charging-profile-store.js';

/**
 * Events of a ChargePointHandle (argument types: `ChargePointEvents`, emitted once each on one emitter):
 * - 'boot' (state: BootState) · 'online' · 'offline'
 * - 'status' (connectorId, status) · 'transactionStarted' (info) · 'transactionStopped' (info)
 * - 'sample' ({ connectorId, reading, limitW }) · 'message' (action: a CP→CS request sent)
 * - 'health' (pluginName, PluginHealth): a plugin's hardware went failing or recovered (reportHealth)
 * - 'delivered' ({ action, seq }) / 'dropped' ({ action, seq }) from the outbox
 * - 'reset' ({ type: 'Hard' | 'Soft' }): the CS asked for a reset; the host should stop this
 *   handle and create a new one (the CLI does). Without a listener the runtime reconnects and boots.
 * - 'error' (err): something failed outside a request (never thrown at the host).
 */
export interface ChargePointHandle {
  /** Loads plugins, recovers state, connects (and keeps reconnecting), boots, runs. */
  start(): Promise<void>;
  /**
   * Stops timers, closes the socket, meters and plugins. The outbox is durable at every moment;
   * `graceful` waits up to 5 s for queued messages to be delivered first. A running transaction
   * stays recorded and is stopped with reason PowerLoss at the next start.
   */
  stop(options?: { graceful?: boolean }): Promise<void>;
  presentCard(card: CardPresentation): Promise<CardOutcome>;
  /** EV cable events from the host (tests, the simulator, `cable: 'manual'`); any connector accepts them. */
  plugIn(connectorId: number): void;
  unplug(connectorId: number): void;
  /** The EV pauses/resumes drawing power (SuspendedEV). */
  setEvSuspended(connectorId: number, suspended: boolean): void;
  /** A hardware fault on a connector (Faulted), or null to clear it. */
  setFault(connectorId: number, errorCode: ChargePointErrorCode | null): void;
  readonly state: EdgeChargePointView;
  readonly identity: string;
  /** Current value of an OCPP configuration key. */
  configValue(key: string): string | undefined;
  /** Resolves when the outbox is empty (tests, graceful shutdown). */
  whenOutboxEmpty(): Promise<void>;
  on(event: string, fn: (...args: unknown[]) => void): void;
  off(event: string, fn: (...args: unknown[]) => void): void;
}

export interface CreateChargePointOptions {
  plugins?: EdgePlugin[];
  log?: Logger;
  /** One meter per connector (1-based); default: from the config (simulated when absent). */
  meterFactory?: (connectorId: number) => MeterDriver;
  /** Opens GPIO input lines for `cable: { kind: 'gpio' }`; default: sysfs (/sys/class/gpio). */
  gpio?: GpioFactory;
  /** Where `cable: { kind: 'command' }` reads stdin commands; default process.stdin. */
  stdin?: Readable;
}

/**
 * Composition root of the edge runtime: builds every service from the config and wires them.
 * Services get small typed deps objects; nothing else builds or looks up services.
 */
export async function createChargePoint(input: EdgeConfig, options: CreateChargePointOptions = {}): Promise<ChargePointHandle> {
  const config = loadEdgeConfig(input, {});
  const dataDir = config.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const log: Logger = (options.log ?? (pino({ level: config.logLevel ?? 'info', base: { cp: config.identity } }) as unknown as Logger)).child({ cp: config.identity });
  const events = new EventEmitter<ChargePointEvents>();
  const clock = new Clock();
  const file = (name: string): string => join(dataDir, name);

  const ocppConfig = new ConfigurationStore({
    definitions: configKeyDefinitions(config.connectors.length),
    file: file('configuration.json'),
    initial: config.ocppConfig ?? {},
  });

  const meters = config.connectors.map((c, i) =>
    options.meterFactory
      ? options.meterFactory(i + 1)
      : createMeterDriver(c.meter ?? { kind: 'simulated', maxPowerW: c.maxPowerW ?? 11_000, stateFile: file(`meter-${i + 1}.json`) }, { log: log.child({ meter: i + 1 }) }),
  );

  // The Basic-auth key: the config's password until the central system rotates it (A01).
  const credentials = new CredentialStore({ file: file('credentials.json'), configKey: config.password });
  let security: SecurityEventReporter | undefined;

  let route: (action: string, params: Record<string, unknown>) => Promise<unknown> = async () => {
    throw new Error('not ready');
  };
  const connection = new Connection({
    identity: config.identity,
    csmsUrl: config.csmsUrl,
    ...(config.password ? { password: config.password } : {}),
    ...(config.caFile ? { caFile: config.caFile } : {}),
    callTimeoutMs: config.callTimeoutMs ?? 30_000,
    reconnect: { initialDelayMs: config.reconnect?.initialDelayMs ?? 1_000, maxDelayMs: config.reconnect?.maxDelayMs ?? 60_000 },
    pingIntervalS: ocppConfig.int('WebSocketPingInterval'),
    log,
    actions: CENTRAL_SYSTEM_ACTIONS,
    onCall: (action, params) => route(action, params),
    passwords: () => credentials.candidates(),
    onAccepted: (password) => {
      credentials.accepted(password);
      security?.connected();
    },
    onConnectFailed: (failure) => security?.connectFailed(failure),
  });
  connection.on('request', (action: string) => events.emit('message', action));

  const session = new BootStateMachine({
    connection,
    config: ocppConfig,
    clock,
    log,
    boot: config.boot,
    file: file('boot.json'),
    defaultRetryS: config.bootRetryDefaultS ?? 60,
  });

  const cables = config.connectors.map((c, i) => parseCableConfig(c.cable, `connectors[${i}].cable`));
  let controller: ChargePointController | undefined;
  const outbox = new Outbox({
    file: file('outbox.jsonl'),
    log,
    send: (action, payload) => session.send(action, payload),
    canSend: () => session.canSend(),
    retryPolicy: () => ({ attempts: ocppConfig.int('TransactionMessageAttempts'), intervalS: ocppConfig.int('TransactionMessageRetryInterval') }),
    onDelivered: (entry, conf, transactionId) => {
      controller?.onDelivered(entry, conf, transactionId);
      events.emit('delivered', { action: entry.action, seq: entry.seq, transactionId });
    },
    onDropped: (entry) => events.emit('dropped', { action: entry.action, seq: entry.seq }),
  });

  // SecurityEventNotification has a durable outbox of its own (never delays transaction messages).
  const securityOutbox = new Outbox({
    file: file('security-events.jsonl'),
    log: log.child({ outbox: 'security' }),
    send: (action, payload) => session.send(action, payload),
    canSend: () => session.canSend(),
    retryPolicy: () => ({ attempts: ocppConfig.int('TransactionMessageAttempts'), intervalS: ocppConfig.int('TransactionMessageRetryInterval') }),
  });
  security = new SecurityEventReporter({ outbox: securityOutbox, log, now: () => clock.iso(), enabled: config.securityEvents ?? true });
  const securityEvents = security;

  const cache = new AuthorizationCache({ file: file('auth-cache.json'), maxEntries: () => ocppConfig.int('AuthorizationCacheMaxLength'), now: () => clock.now() });
  const localList = new LocalAuthList({ file: file('local-list.json') });
  const authorizer = new Authorizer({
    config: ocppConfig,
    cache,
    localList,
    log,
    now: () => clock.now(),
    canAskCentral: () => session.canSend(),
    sendAuthorize: async (idTag) => (await session.send<{ idTagInfo: IdTagInfo }>('Authorize', { idTag })).idTagInfo,
  });
  const profiles = new ChargingProfileStore({ file: file('charging-profiles.json'), voltageV: config.nominalVoltageV ?? 230 });
  const hooks = new HookRunner<EdgeHooks>({ kinds: EDGE_HOOK_KINDS, log });

  controller = new ChargePointController({
    identity: config.identity,
    connectors: config.connectors.map((c, i) => ({ maxPowerW: c.maxPowerW ?? 11_000, meter: meters[i] as MeterDriver, cable: cables[i]?.kind ?? 'always' })),
    config: ocppConfig,
    session,
    outbox,
    authorizer,
    profiles,
    hooks,
    clock,
    log,
    file: file('connectors.json'),
    voltageV: config.nominalVoltageV ?? 230,
    online: () => connection.online,
    events,
  });
  const ctrl = controller;
  const cableDetection = new CableDetection({
    connectors: cables.map((cable, i) => ({ cable, meter: meters[i] as MeterDriver })),
    target: ctrl,
    log,
    ...(options.gpio ? { gpio: options.gpio } : {}),
    ...(options.stdin ? { stdin: options.stdin } : {}),
  });

  let stopped = false;
  let resetting = false;
  const requestReset = async (type: 'Hard' | 'Soft'): Promise<void> => {
    if (resetting) return;
    resetting = true;
    log.warn({ type }, 'reset requested by the central system');
    await ctrl.stopAll(type === 'Soft' ? 'SoftReset' : 'HardReset');
    session.markReboot(type);
    if (type === 'Soft' && session.canSend()) {
      // Soft: stop gracefully, i.e. give the Stop messages a few seconds to reach the CS.
      await withTimeout(outbox.whenEmpty(), 10_000);
    }
    resetting = false;
    if (events.listenerCount('reset') > 0) events.emit('reset', { type });
    else {
      // No host restarts us (the next start would report it): this reconnect is the reboot.
      securityEvents.report('ResetOrReboot', `Reset ${type} by the central system`);
      await connection.drop();
    } // reconnect; rebootPending makes it send a BootNotification
  };

  const firmwareStatus = { value: 'Idle' };
  const diagnosticsStatus = { value: 'Idle' };
  const handlerContext: HandlerContext = {
    identity: config.identity,
    dataDir,
    controller: ctrl,
    config: ocppConfig,
    session,
    connection,
    authorizer,
    cache,
    localList,
    profiles,
    outbox,
    credentials,
    security: securityEvents,
    clock,
    log,
    requestReset: (type) => void requestReset(type).catch((err) => events.emit('error', err)),
    diagnostics: () => ({
      identity: config.identity,
      at: clock.iso(),
      clockOffsetMs: clock.offsetMs,
      boot: session.state,
      online: connection.online,
      configuration: ocppConfig.list().configurationKey,
      connectors: ctrl.view().connectors,
      outbox: outbox.pending().map((e) => ({ seq: e.seq, action: e.action, attempts: e.attempts })),
      node: process.version,
      memory: process.memoryUsage(),
    }),
    firmwareStatus,
    diagnosticsStatus,
  };
  route = createCsCallRouter(handlerContext);

  session.on('state', (state: BootState) => events.emit('boot', state));
  session.on('ready', () => {
    ctrl.sendAllStatuses();
    outbox.kick();
    securityOutbox.kick();
    hooks.observe('onConnectionChanged', { online: true, boot: session.state }, config.identity);
  });
  connection.on('online', () => events.emit('online'));
  connection.on('offline', () => {
    for (const c of ctrl.connectors) c.reportedStatus = undefined;
    events.emit('offline');
    hooks.observe('onConnectionChanged', { online: false, boot: session.state }, config.identity);
  });
  ocppConfig.onChange((key) => {
    if (key === 'WebSocketPingInterval') connection.setPingInterval(ocppConfig.int(key));
  });

  let plugins: LoadedPlugins | undefined;
  const presentCard = (card: CardPresentation): Promise<CardOutcome> =>
    ctrl.presentCard(card).catch((err) => {
      events.emit('error', err);
      return { result: 'refused' as const, reason: String((err as Error)?.message ?? err) };
    });

  return {
    identity: config.identity,
    async start() {
      plugins = await loadPlugins<EdgePluginContext, EdgeHooks>({
        plugins: options.plugins ?? [],
        hooks,
        log,
        createContext: (base) => ({
          ...base,
          onClose: base.onClose,
          identity: config.identity,
          presentCard,
          get chargePoint() {
            return ctrl.view();
          },
          reportHealth: (report) => ctrl.setPluginHealth(base.pluginName, report),
        }),
      });
      session.begin();
      const rebootInfo = session.rebootInfo ?? '';
      if (rebootInfo === REBOOT_INFO.resetHard || rebootInfo === REBOOT_INFO.resetSoft) securityEvents.report('ResetOrReboot', rebootInfo);
      else securityEvents.report('StartupOfTheDevice', rebootInfo || undefined);
      try {
        await ctrl.start(outbox.recovery);
        await cableDetection.start();
      } catch (err) {
        // A start that fails (a GPIO line that cannot be opened, a socket path in the way) leaves
        // nothing running; the journal and state files stay as they are for the next start.
        await cableDetection.close().catch(() => {});
        await outbox.stop().catch(() => {});
        await securityOutbox.stop().catch(() => {});
        await ctrl.close().catch(() => {});
        await plugins?.close().catch(() => {});
        session.end();
        stopped = true;
        throw err;
      }
      connection.start();
    },
    async stop(stopOptions = {}) {
      if (stopped) return;
      stopped = true;
      if (stopOptions.graceful && session.canSend() && outbox.size > 0) {
        // Nothing is lost either way (the journal is on disk); graceful only gives queued
        // messages a few seconds to go out now rather than after the next start.
        await withTimeout(outbox.whenEmpty(), 5_000);
      }
      session.stop();
      await cableDetection.close();
      await outbox.stop();
      await securityOutbox.stop();
      await connection.stop();
      await ctrl.close();
      await hooks.drain();
      await plugins?.close();
      session.end();
    },
    presentCard,
    plugIn: (id) => ctrl.plugIn(id),
    unplug: (id) => ctrl.unplug(id),
    setEvSuspended: (id, s) => ctrl.setEvSuspended(id, s),
    setFault: (id, code) => ctrl.setFault(id, code),
    get state() {
      return ctrl.view();
    },
    configValue: (key) => ocppConfig.get(key),
    whenOutboxEmpty: () => outbox.whenEmpty(),
    // The handle keeps its string-typed on/off (callers outside this package); the map is ChargePointEvents.
    on: (event, fn) => void (events as EventEmitter).on(event, fn),
    off: (event, fn) => void (events as EventEmitter).off(event, fn),
  };
}
