import { createRPCError } from 'ocpp-rpc';
import type { Ocpp16Validator } from './ocpp16-validator.js';
import type { Logger } from '../kernel/logger.js';
import type { IncomingRpcCall } from './sessions.js';

/**
 * The inbound half of OCPP-J on one connection: every frame the charge point sends is read here,
 * not by ocpp-rpc. ocpp-rpc keeps the handshake, the keep-alive pings, the close, and the calls we
 * make to the charger (their CALLRESULT / CALLERROR frames are handed back to it).
 *
 * Why: on a MeterValues flood ocpp-rpc's per-call machinery (an async function, a promise with an
 * async executor, an AbortController, a bound function, four event objects and a map entry per
 * call) was about as much CPU as the storing of the message (bench/README.md, "Seventh pass").
 * Here a call costs one map entry, one small call object and the handler's own promise. The
 * abort signal is one per connection (it aborts when the connection closes, which is all handlers
 * are told it means), created the first time a handler reads it: with 10,000 chargers connected,
 * half a kilobyte each that almost no handler uses.
 *
 * Behaviour kept from ocpp-rpc 2.2.1 frame by frame (the gateway tests run against it): the
 * framing checks and their CALLERRORs (then rewritten to OCPP-J 1.6 by the gateway's filter on
 * `sendRaw`), the strict validation of every CALL and of every CALLRESULT we answer, the count of
 * bad frames closing the connection (1002) past `maxBadMessages`. Changed: a CALL resent with the message id of a call still
 * in flight waits for that call and gets its answer (one effect, DESIGN.md); under another action
 * the id is a collision, answered ProtocolError. ocpp-rpc refused the first copy but, its clean-up
 * forgetting the original, ran the next one.
 *
 * The seam is ocpp-rpc's private `_onMessage` (replaced per client), `_handlers` /
 * `_wildcardHandler` (read: handlers are still registered with the public `client.handle`) and
 * `_onCallResult` / `_onCallError` (called). ocpp-rpc is pinned to one exact version in
 * package.json; `assertInboundSeam` checks the seam when the gateway starts.
 */

/** What this module uses of an ocpp-rpc client (public and private members). */
export interface InboundClient {
  readonly identity: string;
  readonly state: number;
  sendRaw(message: string): void;
  close(options: { code: number; reason: string }): Promise<unknown>;
  _onMessage: (buffer: Buffer | string) => void;
  _onCallResult(messageId: string, result: unknown): void;
  _onCallError(messageId: string, code: unknown, description: unknown, details: unknown): void;
  readonly _handlers: Map<string, InboundHandler>;
  readonly _wildcardHandler: InboundHandler | null;
}

export type InboundHandler = (call: IncomingRpcCall) => unknown;

export interface InboundCallsOptions {
  /** The strict validator of the connection's subprotocol (the gateway's `createGatewayValidator()`). */
  validator: Pick<Ocpp16Validator, 'validate'>;
  /** Bad frames in a row tolerated; the next closes the connection with 1002. */
  maxBadMessages: number;
  log: Pick<Logger, 'debug' | 'info' | 'error'>;
}

const CALL = 2;
const CALLRESULT = 3;
const CALLERROR = 4;
/** ocpp-rpc's `OPEN` state. */
const OPEN = 1;

interface InFlight {
  method: string;
  promise: Promise<unknown>;
}

/** Throws when the installed ocpp-rpc lacks a private member this module relies on. */
export function assertInboundSeam(prototype: object): void {
  const missing = ['_onMessage', '_onCallResult', '_onCallError', 'sendRaw', 'close'].filter(
    (name) => typeof (prototype as Record<string, unknown>)[name] !== 'function',
  );
  if (missing.length > 0) {
    throw new Error(`ocpp-rpc no longer has ${missing.join(', ')}: packages/core/src/ocpp/inbound-calls.ts needs updating for this ocpp-rpc version`);
  }
}

/** One CALL as its handler gets it. */
class InboundCall implements IncomingRpcCall {
  readonly #connection: InboundCalls;

  constructor(
    readonly messageId: string,
    readonly method: string,
    readonly params: unknown,
    connection: InboundCalls,
  ) {
    this.#connection = connection;
  }

  /** Aborts when the connection closes. */
  get signal(): AbortSignal {
    return this.#connection.signal;
  }
}

/**
 * The inbound side of one connection. Takes over the client's frames when constructed: construct
 * it before the client reads its first frame (in the RPCServer's 'client' event).
 */
export class InboundCalls {
  readonly #client: InboundClient;
  readonly #validator: Pick<Ocpp16Validator, 'validate'>;
  readonly #maxBadMessages: number;
  readonly #log: Pick<Logger, 'debug' | 'info' | 'error'>;
  readonly #inFlight = new Map<string, InFlight>();
  #closed: AbortController | undefined;
  #badMessages = 0;
  /** Date.now() of the last frame received (any message type; not pings). */
  lastFrameAt = Date.now();

  constructor(client: InboundClient, options: InboundCallsOptions) {
    if (!(client._handlers instanceof Map)) {
      throw new Error('ocpp-rpc client has no _handlers map: packages/core/src/ocpp/inbound-calls.ts needs updating for this ocpp-rpc version');
    }
    this.#client = client;
    this.#validator = options.validator;
    this.#maxBadMessages = options.maxBadMessages;
    this.#log = options.log;
    client._onMessage = (buffer) => this.#onMessage(buffer);
  }

  /** Aborted once the connection has closed (created on first use). */
  get signal(): AbortSignal {
    return (this.#closed ??= new AbortController()).signal;
  }

  /** The connection has closed: every handler's signal aborts, also one first read after this. */
  closed(): void {
    (this.#closed ??= new AbortController()).abort(new Error('connection closed'));
  }

  #onMessage(buffer: Buffer | string): void {
    const message = buffer.toString();
    if (message.length === 0) return; // some chargers send empty frames: ignored, as ocpp-rpc does
    this.lastFrameAt = Date.now();
    const client = this.#client;
    let messageId = '-1';
    let type: unknown;
    try {
      let frame: unknown;
      try {
        frame = JSON.parse(message);
      } catch {
        throw createRPCError('RpcFrameworkError', 'Message must be a JSON structure', {});
      }
      if (!Array.isArray(frame)) throw createRPCError('RpcFrameworkError', 'Message must be an array', {});
      type = frame[0];
      if (typeof type !== 'number') throw createRPCError('RpcFrameworkError', 'Message type must be a number', {});
      if (type !== CALL && type !== CALLRESULT && type !== CALLERROR) {
        throw createRPCError('MessageTypeNotSupported', 'Unrecognised message type', {});
      }
      const id: unknown = frame[1];
      if (typeof id !== 'string') throw createRPCError('RpcFrameworkError', 'Message ID must be a string', {});
      messageId = id;
      if (type === CALL) {
        const method: unknown = frame[2];
        if (typeof method !== 'string') throw createRPCError('RpcFrameworkError', 'Method must be a string', {});
        this.#onCall(messageId, method, frame[3]);
      } else if (type === CALLRESULT) {
        client._onCallResult(messageId, frame[2]);
      } else {
        client._onCallError(messageId, frame[2], frame[3], frame[4]);
      }
      this.#badMessages = 0;
    } catch (error) {
      const shouldClose = ++this.#badMessages > this.#maxBadMessages;
      // A CALLRESULT or CALLERROR is never answered (one for an unknown id gets no CALLERROR log
      // line, only this one); anything else gets a CALLERROR.
      const answered = type !== CALLRESULT && type !== CALLERROR;
      if (!answered) this.#log.debug({ identity: client.identity, reason: (error as Error).message }, 'Ignored an OCPP frame');
      if (shouldClose) void client.close({ code: 1002, reason: 'Protocol error' });
      else if (answered) this.#callError(messageId, error);
    }
  }

  #onCall(messageId: string, method: string, params: unknown): void {
    const client = this.#client;
    if (client.state !== OPEN) return;
    const first = this.#inFlight.get(messageId);
    if (first) {
      if (first.method !== method) {
        this.#callError(messageId, createRPCError('ProtocolError', `Already processing a call with message ID: ${messageId}`));
        return;
      }
      // The same CALL again (a charger that gave up waiting): one effect, the first's answer.
      this.#log.info({ identity: client.identity, action: method, messageId }, 'same CALL received again while the first is in flight: answered with the first one\'s result');
      void first.promise.then(
        (result) => this.#answer(messageId, method, result),
        (err: unknown) => this.#callError(messageId, err),
      );
      return;
    }
    const handler = client._handlers.get(method) ?? client._wildcardHandler;
    if (!handler) {
      this.#callError(messageId, createRPCError('NotImplemented', `Unable to handle '${method}' calls`));
      return;
    }
    try {
      this.#validator.validate(`urn:${method}.req`, params);
    } catch (error) {
      this.#callError(messageId, error);
      return;
    }
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(handler(new InboundCall(messageId, method, params, this)));
    } catch (err) {
      promise = Promise.reject(err);
    }
    this.#inFlight.set(messageId, { method, promise });
    void promise.then(
      (result) => {
        this.#inFlight.delete(messageId);
        this.#answer(messageId, method, result);
      },
      (err: unknown) => {
        this.#inFlight.delete(messageId);
        this.#callError(messageId, err);
      },
    );
  }

  /** Checks the answer against the schema and sends it. */
  #answer(messageId: string, method: string, result: unknown): void {
    try {
      this.#validator.validate(`urn:${method}.conf`, result);
    } catch (error) {
      this.#log.error(
        { identity: this.#client.identity, action: method, reason: (error as Error).message },
        'Our CALLRESULT broke the OCPP 1.6 schema; the charger got an InternalError instead',
      );
      this.#callError(messageId, createRPCError('InternalError'));
      return;
    }
    this.#send([CALLRESULT, messageId, result]);
  }

  #callError(messageId: string, err: unknown): void {
    const error = err as { rpcErrorCode?: unknown; message?: unknown; rpcErrorMessage?: unknown; details?: unknown } | null | undefined;
    // ocpp-rpc's error classes and validator use OCPP-J 2.0.1 codes: the gateway's filter on
    // `sendRaw` (call-error-filter.ts) rewrites every CALLERROR to its OCPP-J 1.6 form.
    const code = typeof error?.rpcErrorCode === 'string' ? error.rpcErrorCode : 'GenericError';
    const description = (typeof error?.message === 'string' && error.message) || (typeof error?.rpcErrorMessage === 'string' ? error.rpcErrorMessage : '');
    this.#send([CALLERROR, messageId, code, description, error?.details || {}]);
  }

  /** Sends a frame; while the connection closes, as long as the socket takes it (as ocpp-rpc does). */
  #send(frame: unknown[]): void {
    try {
      this.#client.sendRaw(JSON.stringify(frame));
    } catch {
      void this.#client.close({ code: 1000, reason: 'Unable to send call result' });
    }
  }
}
