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
  params: unknown;
  signal: AbortSignal;
}

/** A connected charge point as plugins see it (in `IncomingCall.session`): plain data, no socket. */
export interface ChargePointSession {
  readonly chargePointId: string;
  readonly connectedAt: Date;
  readonly remoteAddress: string | undefined;
  /** Last BootNotification outcome known for this charge point (null = never booted). */
  readonly registrationStatus: RegistrationStatus | null;
}

/**
 * The core's record of a live websocket connection: the session plus the ocpp-rpc client. Internal:
 * only the action router registers handlers on `client`, only the command service calls through it.
 */
export interface ChargePointConnection extends ChargePointSession {
  readonly client: RpcConnection;
  registrationStatus: RegistrationStatus | null;
}

/** A read-only view of a connection without its client (created once per connection). */
export function publicSession(connection: ChargePointConnection): ChargePointSession {
  return Object.freeze({
    chargePointId: connection.chargePointId,
    connectedAt: connection.connectedAt,
    remoteAddress: connection.remoteAddress,
    get registrationStatus() {
      return connection.registrationStatus;
    },
  });
}

/**
 * The charge points connected right now. One session per identity: a charge point that reconnects
 * while its old socket is still half-open replaces it (the old socket is closed), because the new
 * connection is the one the charger will use.
 */
export class Sessions {
  readonly #byId = new Map<string, ChargePointConnection>();

  /** Adds a session and returns the session it replaced, if any. */
  add(session: ChargePointConnection): ChargePointConnection | undefined {
    const previous = this.#byId.get(session.chargePointId);
    this.#byId.set(session.chargePointId, session);
    return previous;
  }

  /** Removes the session only if it is still the current one for its charge point. */
  remove(session: ChargePointConnection): boolean {
    if (this.#byId.get(session.chargePointId) !== session) return false;
    this.#byId.delete(session.chargePointId);
    return true;
  }

  get(chargePointId: string): ChargePointConnection | undefined {
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

  all(): ChargePointConnection[] {
    return [...this.#byId.values()];
  }
}
