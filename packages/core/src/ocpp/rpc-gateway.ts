import { STATUS_CODES, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { RPCClient, RPCServer } from 'ocpp-rpc';
import type RPCServerClientModule from 'ocpp-rpc/lib/server-client.js';
import { CsmsError, CsmsErrorCode, isCsmsError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { withTimeout } from '../kernel/with-timeout.js';
import { AuthGuard } from './auth-guard.js';
import { installCallErrorFilter } from './call-error-filter.js';
import { PreRequestTimeouts } from './pre-request-timeouts.js';
import { ConnectionLimits, normalizeIp, type ConnectionSlot } from './connection-limits.js';
import {
  DEFAULT_IDENTITY_PATTERN,
  OCPP16_SUBPROTOCOL,
  checkUpgradeRequest,
} from './handshake-checks.js';
import { createAdmission, type AdmitDecision } from './gateway-admission.js';
import { createGatewayValidator } from './ocpp16-validator.js';
import { InboundCalls, assertInboundSeam, type InboundClient } from './inbound-calls.js';
import { watchSilence } from './silent-connection.js';

/**
 * The OCPP 1.6J websocket endpoint: an ocpp-rpc RPCServer attached to the application's one HTTP(S)
 * server (the one Fastify also serves), with everything ocpp-rpc leaves out: the whole handshake
 * (path, identity, subprotocol, lookup, security profile 1/2 Basic auth) decided before any
 * websocket is opened, OCPP-J 1.6 CALLERROR codes on the wire, a frame size cap, a handshake
 * timeout, per-IP caps, and one log line per connection event. What happens on a connection
 * (handlers, sessions) is the caller's, through `onConnection`.
 *
 * Pieces in their own files: admission (gateway-admission.ts, with auth-guard.ts and
 * connection-limits.ts), the slowloris timeout (pre-request-timeouts.ts) and the OCPP-J 1.6
 * error-code patch (call-error-filter.ts, rules in ocpp16-errors.ts).
 *
 * See packages/core/docs/ocpp-gateway.md for the status and error-code tables.
 */

/** ocpp-rpc's per-connection client (the package exports the class only as a CommonJS default). */
export type RPCServerClient = RPCServerClientModule.default;

export type SecurityProfile = 0 | 1 | 2 | 3;

/** What the gateway needs to know about a charge point to admit it. */
export interface ChargePointCredentials {
  securityProfile: SecurityProfile;
  /** `hashAuthKey()` output; required for profiles 1 and 2. */
  authKeyHash: string | null;
}

export type GatewayLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface ConnectionInfo {
  identity: string;
  /** Remote address of the TCP peer (IPv4-mapped IPv6 shortened to IPv4). */
  remoteAddress: string;
  protocol: typeof OCPP16_SUBPROTOCOL;
  tls: boolean;
  /** The profile the charge point was admitted with (0 for an auto-registered one). */
  securityProfile: SecurityProfile;
}

export interface DisconnectInfo extends ConnectionInfo {
  /** The close code received, or the one we sent when we cut the connection (1009: frame too large). */
  code: number;
  reason: string;
}

export interface RpcGatewayOptions {
  /** Path prefix: charge points connect to `<path>/<percent-encoded id>`. Default `/ocpp`. */
  path: string;
  /** Allowed identities (after percent-decoding). Default `DEFAULT_IDENTITY_PATTERN`. */
  identityPattern: RegExp;
  /** Timeout of calls to the charge point. Default 30 000. */
  callTimeoutMs: number;
  /** Websocket ping interval; a missing pong by the next ping drops the connection. 0 = off. Default 30 000. */
  pingIntervalMs: number;
  /** Consecutive malformed frames tolerated; the next one closes the connection (1002). Default 20. */
  maxBadMessages: number;
  /** Largest frame accepted, in bytes; a larger one closes the connection with 1009. Default 8 MiB. */
  maxPayload: number;
  /**
   * Time a TCP connection may take to send its first complete request head, and, separately, the
   * time the charge point lookup and password check may take. Default 10 000.
   */
  handshakeTimeoutMs: number;
  /** Open connections plus handshakes in progress per remote address. Default 100. */
  maxConnectionsPerIp: number;
  /** Handshakes in progress (lookup, password check) per remote address. Default 10. */
  maxPendingHandshakesPerIp: number;
  /** Handshakes in progress over all addresses; past it, 503 with Retry-After (the server is saturated). Default 2 000. */
  maxPendingHandshakes: number;
  /** Failed handshakes (wrong password, unknown id) per address within `authFailureWindowMs` before it gets 429 without any lookup or hashing. Default 30. */
  maxAuthFailuresPerIp: number;
  /** The window of `maxAuthFailuresPerIp`. Default 60 000. */
  authFailureWindowMs: number;
  /** Admit unknown ids (profile 0) after `registerChargePoint(id)`. Default false. */
  autoRegister: boolean;
  /** How long `close()` waits for charge points to finish the close handshake. Default 5 000. */
  closeTimeoutMs: number;
  /** A connection that sends no OCPP frame for this long is closed (1008); pongs do not count. 0 = never. Default 0. */
  silentTimeoutMs: number;
}

export const DEFAULT_RPC_GATEWAY_OPTIONS: Readonly<RpcGatewayOptions> = Object.freeze({
  path: '/ocpp',
  identityPattern: DEFAULT_IDENTITY_PATTERN,
  callTimeoutMs: 30_000,
  pingIntervalMs: 30_000,
  maxBadMessages: 20,
  maxPayload: 8 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  maxConnectionsPerIp: 100,
  maxPendingHandshakesPerIp: 10,
  maxPendingHandshakes: 2_000,
  maxAuthFailuresPerIp: 30,
  authFailureWindowMs: 60_000,
  autoRegister: false,
  closeTimeoutMs: 5_000,
  silentTimeoutMs: 0,
});

export interface RpcGatewayDeps {
  /** The application's HTTP or HTTPS server (TLS → security profile 2 is possible). */
  server: HttpServer | HttpsServer;
  logger: GatewayLogger;
  /** Finds a charge point; null = unknown. The signal aborts when the handshake times out or the client leaves. */
  lookupChargePoint(identity: string, signal: AbortSignal): Promise<ChargePointCredentials | null>;
  /** Required when `options.autoRegister` is true: stores a new charge point (profile 0). */
  registerChargePoint?: (identity: string, signal: AbortSignal) => Promise<void>;
  /**
   * A charge point is connected. Register handlers synchronously here: ocpp-rpc starts reading
   * frames on the next tick, and a CALL without a handler is answered NotImplemented.
   */
  onConnection(client: RPCServerClient, info: ConnectionInfo): void;
  /** The websocket of a connected charge point closed. */
  onDisconnect?: (client: RPCServerClient, info: DisconnectInfo) => void;
  /** A handshake was refused (metrics); the reason is the one logged. */
  onRefused?: (status: number, reason: string) => void;
  /** A CALLERROR was sent, with its OCPP-J 1.6 code (metrics). */
  onCallErrorSent?: (code: string) => void;
  options?: Partial<RpcGatewayOptions> | undefined;
}

export interface RpcGatewayStats {
  pendingHandshakes: number;
  openConnections: number;
}

export interface RpcGateway {
  readonly options: Readonly<RpcGatewayOptions>;
  /** The underlying ocpp-rpc server (events only; do not call `auth()` or `handleUpgrade` on it). */
  readonly rpcServer: RPCServer;
  stats(): RpcGatewayStats;
  /** Closes every connection with 1001, stops answering upgrades, detaches from the HTTP server. */
  close(): Promise<void>;
}

function invalid(option: string, message: string): CsmsError {
  return new CsmsError(CsmsErrorCode.CONFIG_INVALID, `OCPP gateway option '${option}' ${message}`, {
    details: { option },
  });
}

function checkCount(options: RpcGatewayOptions, name: keyof RpcGatewayOptions, min: number, allowInfinity: boolean) {
  const value = options[name];
  const ok =
    typeof value === 'number' &&
    ((allowInfinity && value === Infinity) || (Number.isInteger(value) && value >= min));
  if (!ok) {
    throw invalid(name, `must be an integer >= ${min}${allowInfinity ? ' or Infinity' : ''} (got ${String(value)}).`);
  }
}

/** Defaults + validation; throws CONFIG_INVALID with the option's name. */
export function resolveRpcGatewayOptions(partial: Partial<RpcGatewayOptions> = {}): RpcGatewayOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  const options: RpcGatewayOptions = { ...DEFAULT_RPC_GATEWAY_OPTIONS, ...defined };
  if (typeof options.path !== 'string' || !/^(\/[A-Za-z0-9._~-]+)*$/.test(options.path)) {
    throw invalid('path', `must be '' or like '/ocpp' (no trailing slash), got '${String(options.path)}'.`);
  }
  if (!(options.identityPattern instanceof RegExp)) throw invalid('identityPattern', 'must be a RegExp.');
  checkCount(options, 'callTimeoutMs', 1, false);
  checkCount(options, 'pingIntervalMs', 0, false);
  checkCount(options, 'maxBadMessages', 0, true);
  checkCount(options, 'maxPayload', 1024, false);
  checkCount(options, 'handshakeTimeoutMs', 1, false);
  checkCount(options, 'maxConnectionsPerIp', 1, true);
  checkCount(options, 'maxPendingHandshakesPerIp', 1, true);
  checkCount(options, 'maxPendingHandshakes', 1, true);
  checkCount(options, 'closeTimeoutMs', 0, false);
  checkCount(options, 'silentTimeoutMs', 0, false);
  checkCount(options, 'maxAuthFailuresPerIp', 1, true);
  checkCount(options, 'authFailureWindowMs', 1, false);
  if (typeof options.autoRegister !== 'boolean') throw invalid('autoRegister', 'must be true or false.');
  return options;
}

/** Answers an upgrade request with a plain HTTP error and closes the socket: no websocket. */
function writeHttpError(socket: Socket, status: number, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = STATUS_CODES[status] ?? 'Error';
  const head = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  };
  const lines = Object.entries(head).map(([name, value]) => `${name}: ${value}`);
  socket.end(`HTTP/1.1 ${status} ${body}\r\n${lines.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
  // A peer that never reads cannot hold the socket open.
  setTimeout(() => socket.destroy(), 5_000).unref();
}

interface PendingUpgrade {
  identity: string;
  slot: ConnectionSlot;
  info: ConnectionInfo;
}

class HandshakeTimeoutError extends Error {}

/** Resolves/rejects with `promise`, or rejects with the signal's reason when it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function truncate(text: string | undefined, max: number): string {
  const value = text ?? '';
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}

export function createRpcGateway(deps: RpcGatewayDeps): RpcGateway {
  const options = resolveRpcGatewayOptions(deps.options);
  if (options.autoRegister && !deps.registerChargePoint) {
    throw invalid('autoRegister', 'is true but no registerChargePoint function was given.');
  }
  const { server, logger: log } = deps;
  const limits = new ConnectionLimits(options);
  const guard = new AuthGuard({ maxFailuresPerIp: options.maxAuthFailuresPerIp, failureWindowMs: options.authFailureWindowMs });
  const admit = createAdmission({
    log,
    guard,
    autoRegister: options.autoRegister,
    lookupChargePoint: (identity, signal) => deps.lookupChargePoint(identity, signal),
    registerChargePoint: deps.registerChargePoint && ((identity, signal) => deps.registerChargePoint!(identity, signal)),
  });

  // Inbound frames are read by inbound-calls.ts, through a seam in ocpp-rpc's client: checked here.
  assertInboundSeam(RPCClient.prototype);
  const validator = createGatewayValidator();
  const rpcServer = new RPCServer({
    protocols: [OCPP16_SUBPROTOCOL],
    strictMode: true,
    strictModeValidators: [validator],
    callTimeoutMs: options.callTimeoutMs,
    pingIntervalMs: options.pingIntervalMs,
    maxBadMessages: options.maxBadMessages,
    // Stack traces and payloads never go back to the charger.
    respondWithDetailedErrors: false,
    // ws aborts a frame whose header announces more than maxPayload (close 1009) before buffering
    // it; compression stays off so a small compressed frame cannot expand past the cap in memory.
    wssOptions: { maxPayload: options.maxPayload, perMessageDeflate: false },
  });

  let closing = false;
  let closePromise: Promise<void> | undefined;
  const pendingUpgrades = new WeakMap<IncomingMessage, PendingUpgrade>();
  const handshakeAborts = new Set<AbortController>();
  const clients = new Set<RPCServerClient>();

  const logRejected = (fields: { status: number; reason: string } & Record<string, unknown>) => {
    log.info({ event: 'ocpp-rejected', ...fields }, 'OCPP connection rejected');
    deps.onRefused?.(fields.status, fields.reason);
  };

  // Connections that never send a request head (slowloris) are dropped after the handshake timeout.
  const preRequest = new PreRequestTimeouts(options.handshakeTimeoutMs, log);
  const onTcpConnection = (socket: Socket) => preRequest.start(socket);
  const onHttpRequest = (request: IncomingMessage) => preRequest.clear(request.socket);

  async function handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const remoteAddress = normalizeIp(socket.remoteAddress);
    const tls = (socket as TLSSocket).encrypted === true;
    const base = { remoteAddress, path: truncate(request.url, 120), tls };

    if (closing) {
      logRejected({ ...base, status: 503, reason: 'gateway is closing' });
      writeHttpError(socket, 503);
      return;
    }
    const check = checkUpgradeRequest(request, { basePath: options.path, identityPattern: options.identityPattern });
    if (!check.ok) {
      logRejected({ ...base, status: check.status, reason: check.reason });
      writeHttpError(socket, check.status);
      return;
    }
    const { identity } = check;
    // An address past its failed-handshake budget is refused before any lookup or hashing.
    const retryAfter = guard.blockedFor(socket.remoteAddress);
    if (retryAfter > 0) {
      logRejected({ ...base, identity, status: 429, reason: 'too many failed handshakes from this address' });
      writeHttpError(socket, 429, { 'Retry-After': String(retryAfter) });
      return;
    }
    const slot = limits.tryAcquire(socket.remoteAddress);
    if (slot === 'server-busy') {
      // Refused at once, before any lookup: cheap for us, and the charger retries (OCPP 1.6 J §5.4).
      logRejected({ ...base, identity, status: 503, reason: 'too many handshakes in progress on the server' });
      writeHttpError(socket, 503, { 'Retry-After': '5' });
      return;
    }
    if (typeof slot === 'string') {
      logRejected({ ...base, identity, status: 429, reason: slot });
      writeHttpError(socket, 429);
      return;
    }
    socket.once('close', () => {
      slot.release();
      if (pendingUpgrades.has(request)) {
        // Admitted by us, but ws or ocpp-rpc refused the upgrade (bad Sec-WebSocket-Key/Version, ...).
        pendingUpgrades.delete(request);
        logRejected({ ...base, identity, status: 400, reason: 'websocket upgrade failed' });
      }
    });

    const abort = new AbortController();
    handshakeAborts.add(abort);
    const timer = setTimeout(() => abort.abort(new HandshakeTimeoutError('handshake timed out')), options.handshakeTimeoutMs);
    timer.unref();
    const onClientGone = () => abort.abort(new Error('client closed the connection during the handshake'));
    socket.once('close', onClientGone);

    let decision: AdmitDecision;
    try {
      const work = admit(identity, request, tls, abort.signal);
      work.catch(() => {}); // may settle after a timeout; its outcome is then irrelevant
      decision = await untilAborted(work, abort.signal);
    } catch (err) {
      if (err instanceof HandshakeTimeoutError) {
        decision = { ok: false, status: 503, reason: 'charge point lookup or auth timed out' };
      } else if (socket.destroyed) {
        decision = { ok: false, status: 400, reason: 'client closed the connection during the handshake' };
      } else if (isCsmsError(err, CsmsErrorCode.CONFIG_INVALID)) {
        log.error({ identity, err }, 'Stored credentials of the charge point are unusable');
        decision = { ok: false, status: 500, reason: 'stored credentials unusable' };
      } else if (closing) {
        decision = { ok: false, status: 503, reason: 'gateway is closing' };
      } else {
        log.error({ identity, err }, 'Charge point lookup failed during the websocket handshake');
        decision = { ok: false, status: 503, reason: 'charge point lookup failed' };
      }
    } finally {
      clearTimeout(timer);
      handshakeAborts.delete(abort);
      socket.removeListener('close', onClientGone);
    }

    if (decision.ok && closing) decision = { ok: false, status: 503, reason: 'gateway is closing' };
    if (!decision.ok && (decision.status === 401 || decision.status === 404)) guard.failed(socket.remoteAddress);
    if (!decision.ok) {
      logRejected({ ...base, identity, status: decision.status, reason: decision.reason });
      writeHttpError(socket, decision.status, decision.headers);
      return;
    }
    if (socket.destroyed || !socket.writable) {
      logRejected({ ...base, identity, status: 400, reason: 'client closed the connection during the handshake' });
      return;
    }
    pendingUpgrades.set(request, {
      identity,
      slot,
      info: { identity, remoteAddress, protocol: OCPP16_SUBPROTOCOL, tls, securityProfile: decision.securityProfile },
    });
    await rpcServer.handleUpgrade(request, socket, head);
  }

  // Everything was decided before handleUpgrade; this only hands ocpp-rpc the outcome.
  rpcServer.auth((accept, reject, handshake) => {
    const pending = pendingUpgrades.get(handshake.request);
    if (!pending || pending.identity !== handshake.identity) {
      reject(400, 'Bad Request');
      return;
    }
    accept({ securityProfile: pending.info.securityProfile }, OCPP16_SUBPROTOCOL);
  });

  rpcServer.on('upgradeAborted', (event: { error?: unknown; request: IncomingMessage; identity?: string }) => {
    const pending = pendingUpgrades.get(event.request);
    if (!pending) return;
    pendingUpgrades.delete(event.request);
    const status = (event.error as { code?: unknown } | undefined)?.code;
    logRejected({
      remoteAddress: pending.info.remoteAddress,
      identity: pending.identity,
      status: typeof status === 'number' ? status : 500,
      reason: event.error instanceof Error ? event.error.message : 'upgrade aborted',
    });
  });

  rpcServer.on('error', (err: unknown) => log.error({ err }, 'OCPP websocket server error'));

  rpcServer.on('client', (client: RPCServerClient) => {
    const pending = pendingUpgrades.get(client.handshake.request);
    pendingUpgrades.delete(client.handshake.request);
    if (!pending) {
      log.error({ identity: client.identity }, 'OCPP connection without a handshake record; closing it');
      void client.close({ code: 1011, reason: 'Internal error' });
      return;
    }
    pending.slot.open();
    const { info } = pending;
    const identity = info.identity;
    clients.add(client);
    installCallErrorFilter(client, identity, log, deps.onCallErrorSent);
    let inbound: InboundCalls;
    try {
      inbound = new InboundCalls(client as unknown as InboundClient, { validator, maxBadMessages: options.maxBadMessages, log });
    } catch (err) {
      // Only when the installed ocpp-rpc no longer has the members inbound-calls.ts reads.
      clients.delete(client);
      log.error({ identity, err }, 'cannot read this connection\'s frames; closing it');
      void client.close({ code: 1011, reason: 'Internal error' });
      return;
    }
    const stopSilenceWatch = watchSilence(client, () => inbound.lastFrameAt, options.silentTimeoutMs, info, log);

    // ws closes with 1009 on a frame over maxPayload and stops reading at once, so the peer's close
    // frame never arrives and the close event says 1006; we report the 1009 we sent.
    let closeCodeSent: number | undefined;
    client.on('socketError', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        closeCodeSent = 1009;
        log.warn(
          { event: 'ocpp-frame-too-large', identity, maxPayload: options.maxPayload },
          'Closed the connection (1009): the charger sent a frame larger than maxPayload',
        );
        return;
      }
      log.warn({ identity, err: { message: err.message, code: err.code } }, 'OCPP websocket error');
    });
    // One close listener per connection for everything the gateway keeps (a listener is ~200 bytes,
    // times 10,000 connections).
    client.once('close', (event: { code?: number; reason?: string }) => {
      clients.delete(client);
      inbound.closed();
      stopSilenceWatch();
      const code = closeCodeSent ?? event.code ?? 1006;
      const reason = event.reason ?? '';
      log.info({ event: 'ocpp-closed', identity, remoteAddress: info.remoteAddress, code, reason }, 'OCPP connection closed');
      try {
        deps.onDisconnect?.(client, { ...info, code, reason });
      } catch (err) {
        log.error({ identity, err }, 'onDisconnect threw');
      }
    });

    log.info({ event: 'ocpp-accepted', ...info }, 'OCPP connection accepted');
    try {
      deps.onConnection(client, info);
    } catch (err) {
      log.error({ identity, err }, 'onConnection threw; closing the connection');
      void client.close({ code: 1011, reason: 'Internal error' });
    }
  });

  // ---- attach ---------------------------------------------------------------------------------
  const onUpgrade = (request: IncomingMessage, duplex: Duplex, head: Buffer) => {
    const socket = duplex as Socket;
    preRequest.clear(socket);
    // Node removes its own error listener from an upgraded socket; without one a reset during
    // our async lookup would crash the process.
    socket.on('error', (err: Error & { code?: string }) => {
      log.debug({ remoteAddress: normalizeIp(socket.remoteAddress), code: err.code }, 'Socket error during OCPP handshake');
    });
    handleUpgrade(request, socket, head).catch((err: unknown) => {
      log.error({ err, path: truncate(request.url, 120) }, 'OCPP handshake failed unexpectedly');
      writeHttpError(socket, 500);
    });
  };

  server.on('connection', onTcpConnection);
  server.on('request', onHttpRequest);
  server.on('upgrade', onUpgrade);

  async function doClose(): Promise<void> {
    closing = true;
    for (const abort of handshakeAborts) abort.abort(new Error('gateway closing'));
    const open = [...clients];
    const closed = Promise.allSettled(open.map((client) => client.close({ code: 1001, reason: 'Server shutting down' })));
    await withTimeout(closed, options.closeTimeoutMs);
    for (const client of clients) {
      // Still not closed (a handler that never returns, a peer that never answers the close frame).
      client.handshake.request.socket.destroy();
    }
    await rpcServer.close({ code: 1001 });
    server.removeListener('connection', onTcpConnection);
    server.removeListener('request', onHttpRequest);
    server.removeListener('upgrade', onUpgrade);
    preRequest.close();
  }

  return {
    options,
    rpcServer,
    stats: () => {
      const totals = limits.totals();
      return { pendingHandshakes: totals.pending, openConnections: totals.open };
    },
    close: () => {
      closePromise ??= doClose();
      return closePromise;
    },
  };
}
