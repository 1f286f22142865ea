import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Logger } from '@charge-it/core/kernel';
import ocppRpc from 'ocpp-rpc';

/** ocpp-rpc's "send no reply" marker: lets a Rejected charge point stay silent (S16 §4.2.1). */
export const NO_REPLY: symbol = (ocppRpc as unknown as { NOREPLY: symbol }).NOREPLY;

export interface ConnectionOptions {
  identity: string;
  csmsUrl: string;
  password?: string;
  caFile?: string;
  callTimeoutMs: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** WebSocketPingInterval in seconds; 0 turns pings off. */
  pingIntervalS: number;
  log: Logger;
  /** The CS→CP actions handled; any other action gets a NotImplemented CALLERROR from ocpp-rpc. */
  actions: readonly string[];
  /** Handles every CS→CP call of `actions` (registered here once per action, nowhere else). */
  onCall(action: string, params: Record<string, unknown>): Promise<unknown>;
  /**
   * The passwords to try at each connect, in order (A01 key rotation: the new key, then the old
   * one while the new one was never accepted). A 401 with one tries the next at once. Default:
   * `[password]`.
   */
  passwords?(): Array<string | undefined>;
  /** A handshake succeeded with this password. */
  onAccepted?(password: string | undefined): void;
  /** A connect attempt failed: `status` is the HTTP status of a refused handshake, `code` a socket/TLS error code. */
  onConnectFailed?(failure: { status?: number; code?: string; message: string; password: string | undefined }): void;
}

interface RpcClientLike extends EventEmitter {
  state: number;
  connect(): Promise<unknown>;
  close(options?: { code?: number; reason?: string; force?: boolean; awaitPending?: boolean }): Promise<unknown>;
  call(method: string, params: unknown, options?: { callTimeoutMs?: number }): Promise<unknown>;
  handle(method: string, handler: (call: { method: string; params: Record<string, unknown> }) => Promise<unknown>): void;
  reconfigure(options: Record<string, unknown>): void;
}

const OPEN = 1;

/**
 * The websocket link to the central system: an ocpp-rpc RPCClient (subprotocol ocpp1.6, strict
 * schema validation both ways, Basic auth, wss with a CA file) and our own reconnect loop
 * (exponential backoff with ±25 % jitter, so that a fleet does not reconnect in lockstep).
 * ocpp-rpc's built-in reconnect is off: it gives up on some errors and cannot tell us a new
 * socket opened before it replays buffered frames. Emits 'online' and 'offline'.
 */
export class Connection extends EventEmitter {
  readonly #opts: ConnectionOptions;
  readonly #client: RpcClientLike;
  #online = false;
  #stopped = true;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #connecting = false;

  constructor(opts: ConnectionOptions) {
    super();
    this.#opts = opts;
    const wsOpts: Record<string, unknown> = {};
    if (opts.caFile) wsOpts.ca = readFileSync(opts.caFile);
    const { RPCClient } = ocppRpc as unknown as { RPCClient: new (o: Record<string, unknown>) => RpcClientLike };
    this.#client = new RPCClient({
      identity: opts.identity,
      endpoint: opts.csmsUrl,
      protocols: ['ocpp1.6'],
      strictMode: true,
      password: opts.password ?? null,
      wsOpts,
      reconnect: false,
      callTimeoutMs: opts.callTimeoutMs,
      pingIntervalMs: opts.pingIntervalS * 1000,
      callConcurrency: 1,
      // A central system that keeps sending garbage gets the link closed and reopened.
      maxBadMessages: 10,
    });
    // One handler per action rather than a wildcard: with strictMode, ocpp-rpc validates a call
    // against its schema before the wildcard runs, so an unknown action would get ProtocolError
    // instead of NotImplemented (J16 §4.2.3).
    for (const action of opts.actions) this.#client.handle(action, async ({ method, params }) => opts.onCall(method, params ?? {}));
    this.#client.on('close', () => this.#onClosed());
    this.#client.on('strictValidationFailure', (e: { method: string; outbound: boolean; isCall: boolean; error: Error }) =>
      opts.log.warn({ action: e.method, outbound: e.outbound, isCall: e.isCall, err: e.error?.message }, 'OCPP schema validation failed'),
    );
    this.#client.on('socketError', (err: Error) => opts.log.debug({ err: err.message }, 'websocket error'));
  }

  get online(): boolean {
    return this.#online;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#attempt = 0;
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#client.state !== 3) await this.#client.close({ code: 1000, reason: 'charge point stopping', force: false, awaitPending: false }).catch(() => {});
    this.#setOnline(false);
  }

  /** Drops the link now (tests, Reset); the reconnect loop opens a new one. */
  async drop(): Promise<void> {
    // Offline first: a call that the close interrupts must count as a link drop, not as a failure
    // of the central system (which would make the outbox wait TransactionMessageRetryInterval).
    const wasOnline = this.#online;
    this.#online = false;
    if (wasOnline) this.emit('offline');
    await this.#client.close({ force: true }).catch(() => {});
    if (wasOnline) {
      this.#opts.log.warn('link dropped on purpose; reconnecting');
      this.#schedule();
    }
  }

  setPingInterval(seconds: number): void {
    this.#client.reconfigure({ pingIntervalMs: seconds * 1000 });
  }

  async call<T = unknown>(action: string, payload: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (!this.#online) throw new Error(`cannot send ${action}: not connected to the central system`);
    this.emit('request', action);
    return (await this.#client.call(action, payload, timeoutMs ? { callTimeoutMs: timeoutMs } : undefined)) as T;
  }

  async #connect(): Promise<void> {
    if (this.#stopped || this.#connecting) return;
    this.#connecting = true;
    try {
      const passwords = this.#opts.passwords?.() ?? [this.#opts.password];
      for (let i = 0; i < passwords.length; i++) {
        const password = passwords[i];
        this.#client.reconfigure({ password: password ?? null });
        try {
          await this.#client.connect();
        } catch (err) {
          const e = err as Error & { code?: number | string };
          const status = typeof e.code === 'number' ? e.code : undefined;
          const code = typeof e.code === 'string' ? e.code : undefined;
          this.#opts.onConnectFailed?.({ ...(status !== undefined ? { status } : {}), ...(code ? { code } : {}), message: e.message, password });
          if (status === 401 && i + 1 < passwords.length && !this.#stopped) {
            this.#opts.log.warn({ status }, 'the central system refused the new AuthorizationKey; trying the previous key');
            continue;
          }
          this.#opts.log.warn({ err: e.message, status: e.code }, 'connection to the central system failed');
          this.#schedule();
          return;
        }
        this.#attempt = 0;
        this.#opts.onAccepted?.(password);
        this.#opts.log.info({ url: this.#opts.csmsUrl, ...(i > 0 ? { fallbackKey: true } : {}) }, 'connected to the central system');
        this.#setOnline(true);
        return;
      }
    } finally {
      this.#connecting = false;
    }
  }

  #onClosed(): void {
    const wasOnline = this.#online;
    this.#setOnline(false);
    if (wasOnline) this.#opts.log.warn('disconnected from the central system');
    // connect() failures also emit 'close'; #connect schedules those itself.
    if (!this.#connecting && wasOnline) this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const { initialDelayMs, maxDelayMs } = this.#opts.reconnect;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.#attempt, 20));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.#attempt++;
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }

  #setOnline(online: boolean): void {
    const next = online && this.#client.state === OPEN;
    if (this.#online === next) return;
    this.#online = next;
    this.emit(this.#online ? 'online' : 'offline');
  }
}
