import { createRPCError } from 'ocpp-rpc';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { publicSession, type ChargePointConnection, type ChargePointSession, type IncomingRpcCall } from './sessions.js';
import type { ChargePointAction, ChargePointActions, DataTransferRequest, DataTransferResponse } from './v16/messages.js';

/** One call from a charge point, as handlers see it. */
export interface IncomingCall<P = unknown> {
  readonly chargePointId: string;
  readonly action: string;
  readonly params: P;
  readonly messageId: string;
  /** Server time at which the call arrived. */
  readonly receivedAt: Date;
  /** Aborted when the connection closes. */
  readonly signal: AbortSignal;
  /** The connection the call came on: plain read-only data (no socket, no ocpp-rpc client). */
  readonly session: ChargePointSession;
}

export type ActionHandler<P = any, R = any> = (call: IncomingCall<P>) => Promise<R> | R;

/** What the core's own handlers get: the call plus the internal connection (they update its registration status). */
export interface CoreIncomingCall<P = unknown> extends IncomingCall<P> {
  readonly connection: ChargePointConnection;
}

export type CoreActionHandler<P = any, R = any> = (call: CoreIncomingCall<P>) => Promise<R> | R;

export type CoreActionHandlers = {
  [A in ChargePointAction]: CoreActionHandler<ChargePointActions[A]['request'], ChargePointActions[A]['response']>;
};

export type DataTransferHandler = ActionHandler<DataTransferRequest, DataTransferResponse>;

/** Transaction-related messages are always processed (their data must never be lost). */
const ALWAYS_PROCESSED = new Set(['BootNotification', 'StartTransaction', 'StopTransaction', 'MeterValues']);

export interface ActionRouterDeps {
  log: Logger;
  /** Any received PDU is a sign of life. */
  markSeen(chargePointId: string, at: Date): void;
  /** A call was handled: outcome 'ok' or the CALLERROR code answered (metrics). */
  onCallHandled?: (action: string, outcome: string) => void;
}

/**
 * Routes incoming OCPP calls to their handler. It is the only caller of ocpp-rpc's
 * `client.handle` (a second `handle` for the same action silently replaces the first). The core
 * handles the ten charge-point-initiated actions of 1.6; a plugin may claim any other action, or
 * replace a core handler explicitly with `replaceDefault`; DataTransfer is claimed per vendorId.
 * Unknown actions are answered NotImplemented by ocpp-rpc because no handler is registered.
 */
export class ActionRouter {
  readonly #deps: ActionRouterDeps;
  readonly #handlers = new Map<string, { owner: string; handler: ActionHandler | CoreActionHandler }>();
  readonly #vendors = new Map<string, { owner: string; handler: DataTransferHandler }>();
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(deps: ActionRouterDeps, core: Partial<CoreActionHandlers>) {
    this.#deps = deps;
    for (const [action, handler] of Object.entries(core)) this.#handlers.set(action, { owner: 'core', handler });
  }

  claim(owner: string, action: string, handler: ActionHandler, options: { replaceDefault?: boolean } = {}): void {
    const current = this.#handlers.get(action);
    if (current && !(current.owner === 'core' && options.replaceDefault)) {
      throw new CsmsError(
        CsmsErrorCode.ACTION_CLAIMED,
        current.owner === 'core'
          ? `plugin "${owner}" claims "${action}", which the core handles; pass { replaceDefault: true } to replace it`
          : `plugin "${owner}" claims "${action}", already claimed by plugin "${current.owner}"`,
        { details: { action, owner, claimedBy: current.owner } },
      );
    }
    this.#handlers.set(action, { owner, handler });
  }

  claimDataTransfer(owner: string, vendorId: string, handler: DataTransferHandler): void {
    const current = this.#vendors.get(vendorId);
    if (current) {
      throw new CsmsError(
        CsmsErrorCode.ACTION_CLAIMED,
        `plugin "${owner}" claims DataTransfer vendor "${vendorId}", already claimed by plugin "${current.owner}"`,
        { details: { vendorId, owner, claimedBy: current.owner } },
      );
    }
    this.#vendors.set(vendorId, { owner, handler });
  }

  /** The plugin handler for a DataTransfer vendorId, if one was claimed. */
  vendorHandler(vendorId: string): DataTransferHandler | undefined {
    return this.#vendors.get(vendorId)?.handler;
  }

  /**
   * Registers every handler on a new connection. One closure per connection, shared by all its
   * actions (ocpp-rpc passes the action name): with 10,000 connected chargers, ten closures each
   * would be memory for nothing.
   */
  attach(connection: ChargePointConnection): void {
    const session = publicSession(connection);
    // A CALL resent while the first copy is in flight never gets here: the gateway answers the copy
    // with the first one's result (inbound-calls.ts).
    const dispatch = (call: IncomingRpcCall) => this.#dispatch(connection, session, call);
    for (const action of this.#handlers.keys()) connection.client.handle(action, dispatch);
  }

  /**
   * Handles one call. Not an async function: one `then` instead of an async frame and its await,
   * on the path every message takes.
   */
  #dispatch(connection: ChargePointConnection, session: ChargePointSession, call: IncomingRpcCall): Promise<unknown> {
    const { method: action, messageId } = call;
    const { owner, handler } = this.#handlers.get(action)!;
    const receivedAt = new Date();
    this.#inFlight++;
    let answer: unknown;
    try {
      this.#deps.markSeen(session.chargePointId, receivedAt);
      if (connection.registrationStatus === 'Rejected' && !ALWAYS_PROCESSED.has(action)) {
        throw createRPCError(
          'SecurityError',
          'BootNotification was Rejected: send nothing but BootNotification until the retry interval has passed',
        );
      }
      // Plugins get the plain session; only the core's handlers see the connection.
      answer = owner === 'core'
        ? (handler as CoreActionHandler)(new CoreCall(call, receivedAt, session, connection))
        : (handler as ActionHandler)(new RoutedCall(call, receivedAt, session));
    } catch (err) {
      answer = Promise.reject(err);
    }
    return Promise.resolve(answer).then(
      (result) => {
        this.#settled();
        this.#deps.onCallHandled?.(action, 'ok');
        return result;
      },
      (err: unknown) => {
        this.#settled();
        if (isRpcError(err)) {
          this.#deps.onCallHandled?.(action, String((err as { rpcErrorCode: unknown }).rpcErrorCode));
          throw err;
        }
        this.#deps.onCallHandled?.(action, 'InternalError');
        this.#deps.log.error({ err, chargePointId: session.chargePointId, action, owner, messageId }, 'handler failed; answering InternalError');
        throw createRPCError('InternalError', `the central system could not process ${action}; retry later`);
      },
    );
  }

  #settled(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#idleWaiters.length > 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves when no call is being handled (graceful close). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}

/**
 * A call as a plugin's handler gets it. `signal` is read through from the gateway's call, which
 * creates its connection's AbortController only when someone reads it (most handlers never do).
 * (So `signal` is a getter on the prototype: a spread copy of the call does not carry it.)
 */
class RoutedCall implements IncomingCall {
  readonly chargePointId: string;
  readonly action: string;
  readonly params: unknown;
  readonly messageId: string;
  readonly #rpc: IncomingRpcCall;

  constructor(
    rpc: IncomingRpcCall,
    readonly receivedAt: Date,
    readonly session: ChargePointSession,
  ) {
    this.#rpc = rpc;
    this.chargePointId = session.chargePointId;
    this.action = rpc.method;
    this.params = rpc.params;
    this.messageId = rpc.messageId;
  }

  get signal(): AbortSignal {
    return this.#rpc.signal;
  }
}

/** A call as the core's own handlers get it: with the internal connection. */
class CoreCall extends RoutedCall implements CoreIncomingCall {
  constructor(
    rpc: IncomingRpcCall,
    receivedAt: Date,
    session: ChargePointSession,
    readonly connection: ChargePointConnection,
  ) {
    super(rpc, receivedAt, session);
  }
}

function isRpcError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'rpcErrorCode' in err;
}
