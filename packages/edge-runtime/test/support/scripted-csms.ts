import type { AddressInfo } from 'node:net';
import ocppRpc from 'ocpp-rpc';

/* A scripted OCPP 1.6J central system for the edge runtime's tests: an ocpp-rpc RPCServer on
 * 127.0.0.1 (port 0 the first time, the same port after restart()), strict schema validation,
 * optional Basic auth. Records every CP→CS call, answers with sensible defaults or the test's
 * responders, and lets the test call the charge point. */

// biome-ignore lint: OCPP payloads are loose JSON here
type Json = any;

export interface RecordedCall {
  action: string;
  params: Json;
  identity: string;
  /** Receive time (ms) on the CS. */
  at: number;
}

export type Responder = (params: Json, call: RecordedCall) => Json | Promise<Json>;

interface ServerClient {
  identity: string;
  handle(fn: (call: { method: string; params: Json }) => Promise<Json>): void;
  call(method: string, params: Json, options?: Json): Promise<Json>;
  close(options?: Json): Promise<Json>;
  on(event: string, fn: (...args: Json[]) => void): void;
}

interface RpcServer {
  listen(port: number, host: string): Promise<{ address(): AddressInfo | string | null }>;
  close(options?: Json): Promise<void>;
  on(event: string, fn: (client: ServerClient) => void): void;
  auth(cb: (accept: (session?: Json, protocol?: string) => void, reject: (code?: number, message?: string) => void, handshake: Json) => void): void;
}

const { RPCServer } = ocppRpc as unknown as { RPCServer: new (o: Json) => RpcServer };

export class ScriptedCsms {
  readonly calls: RecordedCall[] = [];
  readonly connections: string[] = [];
  readonly #responders = new Map<string, Responder>();
  #server: RpcServer | undefined;
  #client: ServerClient | undefined;
  #port = 0;
  #nextTxId = 100;
  readonly #waiters: Array<() => void> = [];
  readonly #password: string | undefined;
  readonly #strict: boolean;

  private constructor(password: string | undefined, strict: boolean) {
    this.#password = password;
    this.#strict = strict;
  }

  /** `strict: false` lets a test send calls outside the 1.6 schemas (unknown actions). */
  static async start(options: { password?: string; strict?: boolean } = {}): Promise<ScriptedCsms> {
    const csms = new ScriptedCsms(options.password, options.strict ?? true);
    await csms.#listen();
    return csms;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Sets the answer for an action (replaces the default). */
  answer(action: string, responder: Responder): void {
    this.#responders.set(action, responder);
  }

  callsOf(action: string): RecordedCall[] {
    return this.calls.filter((c) => c.action === action);
  }

  /** Waits until `predicate` holds (checked after every call and connection), bounded. */
  async until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; calls so far: ${this.calls.map((c) => c.action).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the n-th (1-based) call of an action matching the filter. */
  async waitFor(action: string, filter: (params: Json) => boolean = () => true, n = 1, timeoutMs = 10_000): Promise<RecordedCall> {
    await this.until(() => this.calls.filter((c) => c.action === action && filter(c.params)).length >= n, `${n}× ${action}`, timeoutMs);
    return this.calls.filter((c) => c.action === action && filter(c.params))[n - 1] as RecordedCall;
  }

  /** Calls the connected charge point (CS→CP). */
  async callCp(action: string, params: Json, timeoutMs = 5_000): Promise<Json> {
    if (!this.#client) throw new Error(`no charge point connected; cannot send ${action}`);
    return this.#client.call(action, params, { callTimeoutMs: timeoutMs });
  }

  /** Outage: stops listening and drops the charge point. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#client = undefined;
    await server?.close({ force: true, awaitPending: false });
  }

  /** Back from an outage, on the same port. */
  async restart(): Promise<void> {
    await this.#listen();
  }

  async close(): Promise<void> {
    await this.stop();
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  async #listen(): Promise<void> {
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: this.#strict });
    server.auth((accept, reject, handshake) => {
      if (this.#password !== undefined) {
        const given = handshake.password ? Buffer.from(handshake.password).toString('utf8') : undefined;
        if (given !== this.#password) return reject(401, 'bad password');
      }
      accept({}, 'ocpp1.6');
    });
    server.on('client', (client) => {
      this.#client = client;
      this.connections.push(client.identity);
      client.on('close', () => {
        if (this.#client === client) this.#client = undefined;
        this.#notify();
      });
      client.handle(async ({ method, params }) => {
        const call: RecordedCall = { action: method, params, identity: client.identity, at: Date.now() };
        this.calls.push(call);
        this.#notify();
        const responder = this.#responders.get(method);
        return responder ? responder(params, call) : this.#default(method, params);
      });
      this.#notify();
    });
    const http = await server.listen(this.#port, '127.0.0.1');
    this.#port = (http.address() as AddressInfo).port;
    this.#server = server;
  }

  #default(action: string, params: Json): Json {
    const now = new Date().toISOString();
    switch (action) {
      case 'BootNotification':
        return { status: 'Accepted', currentTime: now, interval: 300 };
      case 'Heartbeat':
        return { currentTime: now };
      case 'Authorize':
        return { idTagInfo: { status: 'Accepted' } };
      case 'StartTransaction':
        return { transactionId: this.#nextTxId++, idTagInfo: { status: 'Accepted' } };
      case 'StopTransaction':
        return {};
      case 'DataTransfer':
        return { status: 'UnknownVendorId' };
      default:
        return {};
    }
  }
}
