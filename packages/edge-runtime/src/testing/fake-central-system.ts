import type { AddressInfo } from 'node:net';
import ocppRpc from 'ocpp-rpc';
import type {
  ChargePointAction,
  ChargePointActions,
  ChargePointStatus,
  IdTagInfo,
  IdTagStatus,
  MeterValue,
  RegistrationStatus,
  StopReason,
} from '../ocpp/ocpp-types.js';

/** One charge point → central system call, as the fake central system received it. */
export interface FakeCall<A extends ChargePointAction = ChargePointAction> {
  /** Charge point identity (last path segment of the websocket URL). */
  identity: string;
  action: A;
  params: ChargePointActions[A]['request'];
  /** The answer sent back (undefined while a responder is still running, or when it threw). */
  response?: ChargePointActions[A]['response'];
  /** Receive time (ms since the epoch). */
  at: number;
}

/** A transaction as the fake central system knows it (from StartTransaction / StopTransaction). */
export interface FakeTransaction {
  transactionId: number;
  identity: string;
  connectorId: number;
  idTag: string;
  meterStartWh: number;
  startedAt: string;
  /** Status answered in StartTransaction.conf. */
  startStatus: IdTagStatus;
  meterStopWh: number | null;
  stoppedAt: string | null;
  stopReason: StopReason | null;
  /** Every MeterValue received for this transaction (MeterValues and StopTransaction.transactionData), in arrival order. */
  meterValues: MeterValue[];
}

/** Answers an action instead of the built-in behaviour; may be async. */
export type FakeResponder<A extends ChargePointAction> = (
  params: ChargePointActions[A]['request'],
  call: FakeCall<A>,
) => ChargePointActions[A]['response'] | Promise<ChargePointActions[A]['response']>;

export interface FakeCentralSystemOptions {
  /**
   * The idTag table: idTag → status (or a full IdTagInfo). Authorize, StartTransaction and
   * StopTransaction answer from it. Default: empty, i.e. every card is unknown.
   */
  idTags?: Record<string, IdTagStatus | IdTagInfo>;
  /** Status of an idTag not in the table. Default 'Invalid'. */
  unknownIdTagStatus?: IdTagStatus;
  /** BootNotification status. Default 'Accepted'. */
  bootStatus?: RegistrationStatus;
  /** BootNotification interval (heartbeat when Accepted), seconds. Default 300. */
  heartbeatIntervalS?: number;
  /** Basic auth password every charge point must send (security profile 1). Default: none asked. */
  password?: string;
  /** First transactionId handed out. Default 1. */
  firstTransactionId?: number;
  /** ocpp-rpc strict schema validation of both directions. Default true. */
  strict?: boolean;
}

export interface FakeCentralSystem {
  /** `ws://127.0.0.1:<port>`: give it to the charge point as `csmsUrl` (the identity is appended by the charge point). */
  readonly url: string;
  readonly port: number;
  /** Every call received, oldest first. */
  readonly calls: readonly FakeCall[];
  /** Transactions started, by transactionId order. */
  readonly transactions: readonly FakeTransaction[];
  /** Identities currently connected. */
  readonly connected: readonly string[];
  /** The calls of one action (optionally of one charge point). */
  callsOf<A extends ChargePointAction>(action: A, identity?: string): FakeCall<A>[];
  /** The latest StatusNotification status of a connector, or undefined. */
  statusOf(identity: string, connectorId: number): ChargePointStatus | undefined;
  /** Sets (or with `undefined`, removes) an idTag in the table. */
  setIdTag(idTag: string, status: IdTagStatus | IdTagInfo | undefined): void;
  /** Replaces the built-in answer of an action. */
  answer<A extends ChargePointAction>(action: A, responder: FakeResponder<A>): void;
  /**
   * Waits until the n-th call (default first) of `action` matching `filter` arrived; returns it.
   * Rejects after `timeoutMs` (default 10 s) naming what arrived instead.
   */
  waitFor<A extends ChargePointAction>(
    action: A,
    filter?: (params: ChargePointActions[A]['request'], call: FakeCall<A>) => boolean,
    options?: { count?: number; timeoutMs?: number },
  ): Promise<FakeCall<A>>;
  /** Waits (bounded, default 10 s) until `predicate` holds; checked after every call, connection and disconnection. */
  until(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Calls a connected charge point (CS→CP), e.g. `call('CP-1', 'RemoteStartTransaction', { idTag: 'A' })`. */
  call(identity: string, action: string, params: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<unknown>;
  /** Closes the server and every connection. */
  close(): Promise<void>;
}

/**
 * A charge point → central system call as ocpp-rpc hands it to the handler: the params are typed
 * by action (in strict mode, the default, ocpp-rpc validated them against the action's schema).
 */
type IncomingCall = { [A in ChargePointAction]: { method: A; params: ChargePointActions[A]['request'] } }[ChargePointAction];

/** Any answer to a charge point → central system call. */
type AnyResponse = ChargePointActions[ChargePointAction]['response'];

// The ocpp-rpc shapes used here (its own typings are incomplete).
interface ServerClient {
  identity: string;
  handle(fn: (call: IncomingCall) => Promise<unknown>): void;
  call(method: string, params: unknown, options?: { callTimeoutMs?: number }): Promise<unknown>;
  on(event: string, fn: (...args: unknown[]) => void): void;
}

interface RpcServer {
  listen(port: number, host: string): Promise<{ address(): AddressInfo | string | null }>;
  close(options?: { force?: boolean; awaitPending?: boolean }): Promise<void>;
  on(event: string, fn: (client: ServerClient) => void): void;
  auth(
    cb: (
      accept: (session?: Record<string, unknown>, protocol?: string) => void,
      reject: (code?: number, message?: string) => void,
      handshake: { password?: Buffer },
    ) => void,
  ): void;
}

/**
 * Starts a small OCPP 1.6J central system on 127.0.0.1 (a free port) for plugin and integration
 * tests: an ocpp-rpc RPCServer (strict schemas) that accepts BootNotification, answers Authorize,
 * StartTransaction and StopTransaction from an idTag table, acknowledges Heartbeat,
 * StatusNotification, MeterValues and the notifications, keeps the transactions, and records
 * every call. It is a stand-in for a CSMS, not one: nothing is stored beyond memory.
 *
 * ```ts
 * const cs = await startFakeCentralSystem({ idTags: { '04A23B1C': 'Accepted' } });
 * const cp = await createChargePoint({ identity: 'CP-1', csmsUrl: cs.url, dataDir, connectors: [{}] , boot: {...} }, { plugins: [myReader()] });
 * await cp.start();
 * await cs.waitFor('StartTransaction', (p) => p.idTag === '04A23B1C');
 * await cp.stop(); await cs.close();
 * ```
 */
export async function startFakeCentralSystem(options: FakeCentralSystemOptions = {}): Promise<FakeCentralSystem> {
  const { RPCServer } = ocppRpc as unknown as { RPCServer: new (o: Record<string, unknown>) => RpcServer };
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: options.strict ?? true });
  const idTags = new Map<string, IdTagInfo>(Object.entries(options.idTags ?? {}).map(([k, v]) => [k, toInfo(v)]));
  const calls: FakeCall[] = [];
  const transactions: FakeTransaction[] = [];
  const clients = new Map<string, ServerClient>();
  const statuses = new Map<string, ChargePointStatus>();
  const responders = new Map<string, FakeResponder<ChargePointAction>>();
  const waiters = new Set<() => void>();
  let nextTxId = options.firstTransactionId ?? 1;
  let closed = false;

  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  const info = (idTag: string): IdTagInfo => idTags.get(idTag) ?? { status: options.unknownIdTagStatus ?? 'Invalid' };

  const builtIn = (identity: string, incoming: IncomingCall): AnyResponse => {
    const { method: action, params: p } = incoming;
    const now = new Date().toISOString();
    switch (action) {
      case 'BootNotification':
        return { status: options.bootStatus ?? 'Accepted', currentTime: now, interval: options.heartbeatIntervalS ?? 300 };
      case 'Heartbeat':
        return { currentTime: now };
      case 'Authorize':
        return { idTagInfo: info(p.idTag) };
      case 'StartTransaction': {
        const idTagInfo = info(p.idTag);
        const tx: FakeTransaction = {
          transactionId: nextTxId++,
          identity,
          connectorId: p.connectorId,
          idTag: p.idTag,
          meterStartWh: p.meterStart,
          startedAt: p.timestamp,
          startStatus: idTagInfo.status,
          meterStopWh: null,
          stoppedAt: null,
          stopReason: null,
          meterValues: [],
        };
        transactions.push(tx);
        return { transactionId: tx.transactionId, idTagInfo };
      }
      case 'MeterValues': {
        const tx = transactions.find((t) => t.identity === identity && t.transactionId === p.transactionId);
        tx?.meterValues.push(...(p.meterValue ?? []));
        return {};
      }
      case 'StopTransaction': {
        const tx = transactions.find((t) => t.identity === identity && t.transactionId === p.transactionId);
        if (tx && tx.stoppedAt === null) {
          tx.meterStopWh = p.meterStop;
          tx.stoppedAt = p.timestamp;
          tx.stopReason = p.reason ?? 'Local';
          tx.meterValues.push(...(p.transactionData ?? []));
        }
        return p.idTag ? { idTagInfo: info(p.idTag) } : {};
      }
      case 'StatusNotification':
        statuses.set(`${identity}#${p.connectorId}`, p.status);
        return {};
      case 'DataTransfer':
        return { status: 'UnknownVendorId' };
      default:
        return {};
    }
  };

  if (options.password !== undefined) {
    server.auth((accept, reject, handshake) => {
      const given = handshake.password ? Buffer.from(handshake.password).toString('utf8') : undefined;
      if (given !== options.password) return reject(401, 'bad password');
      accept({}, 'ocpp1.6');
    });
  }
  server.on('client', (client) => {
    clients.set(client.identity, client);
    client.on('close', () => {
      if (clients.get(client.identity) === client) clients.delete(client.identity);
      notify();
    });
    client.handle(async (incoming) => {
      const { method, params } = incoming;
      const call: FakeCall = { identity: client.identity, action: method, params, at: Date.now() };
      calls.push(call);
      try {
        const responder = responders.get(method);
        const response = responder ? await responder(params, call) : builtIn(client.identity, incoming);
        call.response = response;
        return response;
      } finally {
        notify();
      }
    });
    notify();
  });
  const http = await server.listen(0, '127.0.0.1');
  const port = (http.address() as AddressInfo).port;

  const until = async (predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake central system: timed out after ${timeoutMs} ms waiting for ${what}; calls so far: ${calls.map((c) => c.action).join(', ') || 'none'}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        // Also re-check now and then: a predicate may depend on state outside the calls.
        const timer = setTimeout(done, Math.min(left, 100));
        waiters.add(done);
      });
    }
  };

  const callsOf = <A extends ChargePointAction>(action: A, identity?: string): FakeCall<A>[] =>
    calls.filter((c): c is FakeCall<A> => c.action === action && (identity === undefined || c.identity === identity));

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    calls,
    transactions,
    get connected() {
      return [...clients.keys()];
    },
    callsOf,
    statusOf: (identity, connectorId) => statuses.get(`${identity}#${connectorId}`),
    setIdTag(idTag, status) {
      if (status === undefined) idTags.delete(idTag);
      else idTags.set(idTag, toInfo(status));
    },
    answer(action, responder) {
      responders.set(action, responder as unknown as FakeResponder<ChargePointAction>);
    },
    async waitFor(action, filter = () => true, waitOptions = {}) {
      const count = waitOptions.count ?? 1;
      const matching = () => callsOf(action).filter((c) => filter(c.params, c));
      await until(() => matching().length >= count, `${count}× ${action}${filter.length > 0 ? ' (matching the filter)' : ''}`, waitOptions.timeoutMs);
      return matching()[count - 1] as FakeCall<typeof action>;
    },
    until,
    async call(identity, action, params, callOptions = {}) {
      const client = clients.get(identity);
      if (!client) throw new Error(`fake central system: charge point ${identity} is not connected (connected: ${[...clients.keys()].join(', ') || 'none'})`);
      return client.call(action, params, { callTimeoutMs: callOptions.timeoutMs ?? 10_000 });
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close({ force: true, awaitPending: false });
      notify();
    },
  };
}

function toInfo(v: IdTagStatus | IdTagInfo): IdTagInfo {
  return typeof v === 'string' ? { status: v } : v;
}
