import type { RegistrationStatus } from './v16/messages.js';

/** What the core uses of an ocpp-rpc RPCServerClient (its bundled typings are too loose to import). */
export interface RpcConnection {
  readonly identity: string;
  handle(method: string, handler: (call: IncomingRpcCall) => unknown): void;
  call(method: string, params?: unknown, options?: { callTimeoutMs?: number; signal?: AbortSignal }): Promise<unknown>;
  close(options?: { code?: number; reason?: string; awaitPending?: boolean; force?: boolean }): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
}

export interface IncomingRpcCall {
  messageId: string;
  method: string;
  params: any;
  signal: AbortSignal;
}

/** A live websocket connection of one charge point. */
export interface ChargePointSession {
  readonly chargePointId: string;
  readonly client: RpcConnection;
  readonly connectedAt: Date;
  readonly remoteAddress: string | undefined;
  /** Last BootNotification outcome known for this charge point (null = never booted). */
  registrationStatus: RegistrationStatus | null;
}

/**
 * The charge points connected right now. One session per identity: a charge point that reconnects
 * while its old socket is still half-open replaces it (the old socket is closed), because the new
 * connection is the one the charger will use.
 */
export class Sessions {
  readonly #byId = new Map<string, ChargePointSession>();

  /** Adds a session and returns the session it replaced, if any. */
  add(session: ChargePointSession): ChargePointSession | undefined {
    const previous = this.#byId.get(session.chargePointId);
    this.#byId.set(session.chargePointId, session);
    return previous;
  }

  /** Removes the session only if it is still the current one for its charge point. */
  remove(session: ChargePointSession): boolean {
    if (this.#byId.get(session.chargePointId) !== session) return false;
    this.#byId.delete(session.chargePointId);
    return true;
  }

  get(chargePointId: string): ChargePointSession | undefined {
    return this.#byId.get(chargePointId);
  }

  isConnected(chargePointId: string): boolean {
    return this.#byId.has(chargePointId);
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  get size(): number {
    return this.#byId.size;
  }

  all(): ChargePointSession[] {
    return [...this.#byId.values()];
  }
}
