import { once } from 'node:events';
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket, { type ClientOptions } from 'ws';
import type { RPCClient } from 'ocpp-rpc';

type RPCClientOptions = ConstructorParameters<typeof RPCClient>[0];
import {
  createRpcGateway,
  type ChargePointCredentials,
  type ConnectionInfo,
  type DisconnectInfo,
  type RpcGateway,
  type RpcGatewayDeps,
  type RpcGatewayOptions,
  type RPCServerClient,
} from '../src/ocpp/rpc-gateway.js';

/** Shared helpers of the gateway end-to-end tests: real sockets on 127.0.0.1, port 0. */

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

export function recordingLogger() {
  const lines: LogLine[] = [];
  const make =
    (level: LogLine['level']) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') lines.push({ level, obj: {}, msg: obj });
      else lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { lines, logger: { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') } };
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface GatewayHarness {
  gateway: RpcGateway;
  server: http.Server | https.Server;
  port: number;
  chargePoints: Map<string, ChargePointCredentials>;
  registered: string[];
  connections: Array<{ client: RPCServerClient; info: ConnectionInfo }>;
  disconnects: DisconnectInfo[];
  log: LogLine[];
  /** The action of every call that reached a handler, in order. */
  handled: string[];
  /** DataTransfer with data "block:<key>" waits until `release(key)`. */
  release(key: string): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  options?: Partial<RpcGatewayOptions>;
  chargePoints?: Record<string, ChargePointCredentials>;
  lookup?: RpcGatewayDeps['lookupChargePoint'];
  /** Register a wildcard handler instead of per-action handlers (unknown actions then hit the validator). */
  wildcard?: boolean;
  server?: http.Server | https.Server;
}

const blockers = new Map<string, ReturnType<typeof deferred<void>>>();

/** One deferred per key; a released key stays released (keys are unique per test). */
function blocker(key: string) {
  let entry = blockers.get(key);
  if (!entry) {
    entry = deferred<void>();
    blockers.set(key, entry);
  }
  return entry;
}

type Handler = (call: { params: Record<string, unknown> }) => Promise<Record<string, unknown>> | Record<string, unknown>;

const handlers: Record<string, Handler> = {
  Heartbeat: () => ({ currentTime: new Date().toISOString() }),
  StatusNotification: () => ({}),
  BootNotification: () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }),
  MeterValues: () => ({}),
  DataTransfer: async ({ params }) => {
    const data = typeof params.data === 'string' ? params.data : '';
    if (data.startsWith('block:')) await blocker(data.slice(6)).promise;
    return { status: 'Accepted' };
  },
};

export async function startGateway(harness: HarnessOptions = {}): Promise<GatewayHarness> {
  const server = harness.server ?? http.createServer((_req, res) => res.writeHead(200).end('http ok'));
  const chargePoints = new Map(Object.entries(harness.chargePoints ?? { CP1: { securityProfile: 0, authKeyHash: null } }));
  const registered: string[] = [];
  const connections: GatewayHarness['connections'] = [];
  const disconnects: DisconnectInfo[] = [];
  const handled: string[] = [];
  const { lines, logger } = recordingLogger();

  const gateway = createRpcGateway({
    server,
    logger,
    lookupChargePoint:
      harness.lookup ?? (async (identity) => chargePoints.get(identity) ?? null),
    registerChargePoint: async (identity) => {
      registered.push(identity);
      chargePoints.set(identity, { securityProfile: 0, authKeyHash: null });
    },
    onConnection: (client, info) => {
      connections.push({ client, info });
      if (harness.wildcard) {
        client.handle(async ({ method, params }) => {
          handled.push(method ?? '');
          const handler = handlers[method ?? ''];
          if (!handler) throw new Error(`test handler missing for ${method}`);
          return handler({ params: (params ?? {}) as Record<string, unknown> });
        });
      } else {
        for (const [action, handler] of Object.entries(handlers)) {
          client.handle(action, async ({ params }) => {
            handled.push(action);
            return handler({ params: (params ?? {}) as Record<string, unknown> });
          });
        }
      }
    },
    onDisconnect: (_client, info) => disconnects.push(info),
    options: harness.options,
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    gateway,
    server,
    port,
    chargePoints,
    registered,
    connections,
    disconnects,
    log: lines,
    handled,
    release: (key) => blocker(key).resolve(),
    close: async () => {
      await gateway.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface UpgradeResult {
  status: number;
  headers: http.IncomingHttpHeaders;
}

/**
 * Sends a raw websocket upgrade request and reports the HTTP status (101 when upgraded) without
 * speaking websocket afterwards: every handshake rejection is observable this way.
 */
export function upgradeRequest(
  port: number,
  path: string,
  headers: Record<string, string | undefined> = {},
  requestOptions: Partial<http.RequestOptions> & { request?: typeof http.request } = {},
): Promise<UpgradeResult> {
  const base: Record<string, string> = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Protocol': 'ocpp1.6',
  };
  const merged: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(headers)) {
    const existing = Object.keys(merged).find((key) => key.toLowerCase() === name.toLowerCase());
    if (existing) delete merged[existing];
    if (value !== undefined) merged[name] = value;
  }
  const { request: requestFn = http.request, ...rest } = requestOptions;
  return new Promise((resolve, reject) => {
    const req = requestFn({ host: '127.0.0.1', port, path, headers: merged, ...rest });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

/** ocpp-rpc's typings demand every RPCClient option; tests give only the ones that matter. */
export function rpcClientOptions(options: Partial<RPCClientOptions> & { identity: string }): RPCClientOptions {
  return options as RPCClientOptions;
}

export function basicAuth(user: string, password: string | Buffer): string {
  return `Basic ${Buffer.concat([Buffer.from(`${user}:`), Buffer.from(password)]).toString('base64')}`;
}

/** A raw websocket client that queues frames, for sending malformed frames and reading replies. */
export class RawClient {
  readonly ws: WebSocket;
  readonly #queue: unknown[] = [];
  readonly #waiters: Array<(frame: unknown) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const text = data.toString();
      let frame: unknown;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = text;
      }
      const waiter = this.#waiters.shift();
      if (waiter) waiter(frame);
      else this.#queue.push(frame);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  static async connect(
    port: number,
    identity: string,
    options: ClientOptions & { protocols?: string[] } = {},
  ): Promise<RawClient> {
    const { protocols = ['ocpp1.6'], ...rest } = options;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${encodeURIComponent(identity)}`, protocols, rest);
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected HTTP ${res.statusCode}`)));
    });
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame from the server; rejects if the connection closes first. */
  next(): Promise<unknown> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      void this.closed.then(({ code }) => reject(new Error(`closed (${code}) while waiting for a frame`)));
    });
  }

  /** Sends a Heartbeat and returns its CALLRESULT: proof that the connection still works. */
  async heartbeat(id = `hb-${randomBytes(4).toString('hex')}`): Promise<unknown[]> {
    this.send([2, id, 'Heartbeat', {}]);
    const frame = (await this.next()) as unknown[];
    return frame;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}
