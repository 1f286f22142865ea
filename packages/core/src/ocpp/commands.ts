import ocppRpc from 'ocpp-rpc';
import type { Clock } from '../clock.js';
import type { CsmsConfig } from '../config/index.js';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { AuditLogSchema, ChargePointSchema } from '../persistence/entities/index.js';
import type { WriteBatcher } from '../persistence/write-batcher.js';
import { hashAuthKey } from './credentials.js';
import { scopedCommandTimeout } from './command-context.js';
import { createOcpp16Validator } from './ocpp16-validator.js';
import type { Sessions } from './sessions.js';
import type { CentralSystemAction, CentralSystemActions } from './v16/central-system-messages.js';

export interface CommandOptions {
  /** Who asked, for the audit log: 'api:<key name>', 'dashboard:<user>', 'system:load-management', ... */
  actor?: string;
  /**
   * Overrides `ocpp.callTimeoutMs` for this call. One deadline for the whole command: the wait
   * behind earlier commands to the same charge point counts, then the wait for the answer.
   */
  timeoutMs?: number;
}


// ocpp-rpc spreads its error classes into module.exports, which Node's ESM named-export detection
// cannot see: take them from the default export.
const { TimeoutError } = ocppRpc;
/** Actions a charge point whose boot is Pending may not receive (OCPP 1.6 §4.2.1). */
const NOT_WHILE_PENDING = new Set<CentralSystemAction>(['RemoteStartTransaction', 'RemoteStopTransaction']);

export interface CommandServiceDeps {
  sessions: Sessions;
  batcher: WriteBatcher;
  config: CsmsConfig;
  clock: Clock;
  log: Logger;
  /** Told the result of every command (the audit outcome), for metrics. */
  metrics?: { commandDone(action: string, result: string): void };
}

/**
 * One command at a time per charge point, first come first served, with a deadline: a command
 * still waiting when its time is up leaves the line unsent. (ocpp-rpc has a queue too, but its
 * call timeout starts only when the call leaves that queue.)
 */
class CommandLine {
  readonly #lines = new Map<string, { busy: boolean; waiters: Array<() => void> }>();

  /** Resolves with a release function once it is this command's turn; false when the deadline passed first. */
  async enter(key: string, deadline: number): Promise<(() => void) | false> {
    let line = this.#lines.get(key);
    if (!line) {
      line = { busy: false, waiters: [] };
      this.#lines.set(key, line);
    }
    if (line.busy) {
      const l = line;
      const turn = await new Promise<boolean>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          const i = l.waiters.indexOf(wake);
          if (i >= 0) l.waiters.splice(i, 1);
          resolve(false);
        }, Math.max(0, deadline - Date.now()));
        l.waiters.push(wake);
      });
      if (!turn) return false;
    }
    line.busy = true;
    const l = line;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = l.waiters.shift();
      if (next) next();
      else {
        l.busy = false;
        this.#lines.delete(key);
      }
    };
  }
}

type Request<A extends CentralSystemAction> = CentralSystemActions[A]['request'];
type Response<A extends CentralSystemAction> = CentralSystemActions[A]['response'];

/**
 * Sends central-system-initiated calls. ocpp-rpc runs one call per charge point at a time
 * (callConcurrency 1, as OCPP-J requires) and queues the rest; each call times out cleanly. Every
 * call and its outcome — answered, refused by our rules, offline, timed out, CALLERROR — is written
 * to the audit log. Failures are `CsmsError`s: CHARGE_POINT_OFFLINE, CALL_NOT_ALLOWED (boot
 * Rejected, or RemoteStart/Stop while Pending), COMMAND_INVALID (request breaks the 1.6 schema),
 * CALL_TIMEOUT, CALL_ERROR (the charge point answered with a CALLERROR or an invalid payload).
 */
export class CommandService {
  readonly #deps: CommandServiceDeps;
  readonly #validator = createOcpp16Validator();
  readonly #line = new CommandLine();

  constructor(deps: CommandServiceDeps) {
    this.#deps = deps;
  }

  /** The typed commands of one charge point (it need not be connected to get the handle). */
  for(chargePointId: string): ChargePointCommands {
    return new ChargePointCommands(this, chargePointId);
  }

  async send<A extends CentralSystemAction>(chargePointId: string, action: A, request: Request<A>, options: CommandOptions = {}): Promise<Response<A>> {
    const actor = options.actor ?? 'system';
    const timeoutMs = options.timeoutMs ?? scopedCommandTimeout() ?? this.#deps.config.ocpp.callTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const fail = async (code: CsmsErrorCode, outcome: string, message: string, cause?: unknown, details: Record<string, unknown> = {}): Promise<never> => {
      await this.#audit(chargePointId, actor, action, request, { error: message, ...details }, outcome);
      throw new CsmsError(code, message, { cause, details: { chargePointId, action, ...details } });
    };

    try {
      this.#validator.validate(`urn:${action}.req`, request);
    } catch (err) {
      return fail(CsmsErrorCode.COMMAND_INVALID, 'invalid', `invalid ${action} request: ${(err as Error).message}`, err);
    }
    if (!this.#deps.sessions.get(chargePointId)) {
      return fail(CsmsErrorCode.CHARGE_POINT_OFFLINE, 'offline', `charge point ${chargePointId} is not connected; nothing was sent`, undefined, { sent: false });
    }
    const release = await this.#line.enter(chargePointId, deadline);
    if (!release) {
      return fail(
        CsmsErrorCode.CALL_TIMEOUT,
        'timeout',
        `${action} to charge point ${chargePointId} waited ${timeoutMs} ms behind earlier commands and was not sent`,
        undefined,
        { sent: false, timeoutMs },
      );
    }
    try {
      return await this.#sendInLine(chargePointId, action, request, deadline, timeoutMs, fail, actor);
    } finally {
      release();
    }
  }

  async #sendInLine<A extends CentralSystemAction>(
    chargePointId: string,
    action: A,
    request: Request<A>,
    deadline: number,
    timeoutMs: number,
    fail: (code: CsmsErrorCode, outcome: string, message: string, cause?: unknown, details?: Record<string, unknown>) => Promise<never>,
    actor: string,
  ): Promise<Response<A>> {
    // Looked up again after the wait: the charge point may have left (or come back) meanwhile.
    const session = this.#deps.sessions.get(chargePointId);
    if (!session) return fail(CsmsErrorCode.CHARGE_POINT_OFFLINE, 'offline', `charge point ${chargePointId} is not connected; nothing was sent`, undefined, { sent: false });
    const boot = session.registrationStatus;
    if (boot === 'Rejected' && !(action === 'TriggerMessage' && (request as Request<'TriggerMessage'>).requestedMessage === 'BootNotification')) {
      return fail(CsmsErrorCode.CALL_NOT_ALLOWED, 'not-allowed', `charge point ${chargePointId} was Rejected at boot; the central system sends it nothing until it is Accepted`);
    }
    if (boot === 'Pending' && NOT_WHILE_PENDING.has(action)) {
      return fail(CsmsErrorCode.CALL_NOT_ALLOWED, 'not-allowed', `charge point ${chargePointId} is Pending; ${action} is not allowed until its boot is Accepted`);
    }

    let response: Response<A>;
    const remaining = Math.max(1, deadline - Date.now());
    try {
      response = (await session.client.call(action, request, { callTimeoutMs: remaining })) as Response<A>;
    } catch (err) {
      if (err instanceof TimeoutError) {
        return fail(CsmsErrorCode.CALL_TIMEOUT, 'timeout', `charge point ${chargePointId} did not answer ${action} within ${timeoutMs} ms`, err, { sent: true, timeoutMs });
      }
      const rpcCode = (err as { rpcErrorCode?: string }).rpcErrorCode;
      if (rpcCode) {
        return fail(CsmsErrorCode.CALL_ERROR, 'call-error', `charge point ${chargePointId} answered ${action} with ${rpcCode}: ${(err as Error).message}`, err, { rpcErrorCode: rpcCode });
      }
      if (/not open/i.test((err as Error).message)) {
        // ocpp-rpc refuses before writing anything when the socket is already closing.
        return fail(CsmsErrorCode.CHARGE_POINT_OFFLINE, 'offline', `charge point ${chargePointId} disconnected before ${action} was sent; nothing was sent`, err, { sent: false });
      }
      return fail(
        CsmsErrorCode.CONNECTION_LOST,
        'connection-lost',
        `${action} was sent to charge point ${chargePointId}, but its connection closed before it answered; it may or may not have acted on it`,
        err,
        { sent: true },
      );
    }
    const status = (response as { status?: string }).status;
    if (action === 'ChangeConfiguration') await this.#afterKeyChange(chargePointId, request as Request<'ChangeConfiguration'>, status, actor);
    await this.#audit(chargePointId, actor, action, request, response, status ? status.toLowerCase() : 'ok');
    this.#deps.log.info({ chargePointId, action, actor, status }, 'command answered');
    return response;
  }

  /**
   * Security whitepaper A01 (update the charge point password): once the charger Accepts
   * ChangeConfiguration(AuthorizationKey) the new key is stored (hashed) and the old one is refused
   * from the next handshake on; RebootRequired counts as Accepted (the charger uses the new key
   * when it reconnects). Rejected / NotSupported: the old key stays.
   */
  async #afterKeyChange(chargePointId: string, request: Request<'ChangeConfiguration'>, status: string | undefined, actor: string): Promise<void> {
    if (!SECRET_CONFIGURATION_KEYS.has(request.key)) return;
    if (status !== 'Accepted' && status !== 'RebootRequired') {
      this.#deps.log.warn({ chargePointId, actor, status }, 'the charger did not accept the new AuthorizationKey; the old key stays valid');
      return;
    }
    const authKeyHash = await hashAuthKey(request.value);
    await this.#deps.batcher.run((em) => em.nativeUpdate(ChargePointSchema, { id: chargePointId }, { authKeyHash }));
    this.#deps.log.info({ chargePointId, actor, status }, 'the charger accepted the new AuthorizationKey: stored; the old key is refused from now on');
  }

  async #audit(chargePointId: string, actor: string, action: string, request: unknown, result: unknown, outcome: string): Promise<void> {
    this.#deps.metrics?.commandDone(action, outcome);
    try {
      await this.#deps.batcher.run((em) => {
        em.create(AuditLogSchema, { at: this.#deps.clock.now(), actor, action, chargePoint: chargePointId, request: redact(action, request), result, outcome });
      });
    } catch (err) {
      // The command itself happened (or failed) regardless; losing its audit row is logged loudly.
      this.#deps.log.error({ err, chargePointId, action, actor, outcome }, 'could not write the audit log');
    }
  }
}

/** Keys whose values are secrets (the Basic-auth password of security profiles 1 and 2, WP A01.FR.09). */
const SECRET_CONFIGURATION_KEYS = new Set(['AuthorizationKey']);

/** The request as the audit log keeps it: secrets masked, everything else as sent. */
function redact(action: string, request: unknown): unknown {
  if (action === 'ChangeConfiguration') {
    const { key, value } = request as { key: string; value: string };
    if (SECRET_CONFIGURATION_KEYS.has(key)) return { key, value: '***' };
  }
  return request;
}

/** Typed CS→CP calls of one charge point, e.g. `csms.chargePoints.get('CP-1').reset({ type: 'Soft' })`. */
export class ChargePointCommands {
  readonly #service: CommandService;
  readonly chargePointId: string;

  constructor(service: CommandService, chargePointId: string) {
    this.#service = service;
    this.chargePointId = chargePointId;
  }

  call<A extends CentralSystemAction>(action: A, request: Request<A>, options?: CommandOptions): Promise<Response<A>> {
    return this.#service.send(this.chargePointId, action, request, options);
  }

  cancelReservation(r: Request<'CancelReservation'>, o?: CommandOptions) { return this.call('CancelReservation', r, o); }
  changeAvailability(r: Request<'ChangeAvailability'>, o?: CommandOptions) { return this.call('ChangeAvailability', r, o); }
  changeConfiguration(r: Request<'ChangeConfiguration'>, o?: CommandOptions) { return this.call('ChangeConfiguration', r, o); }
  clearCache(o?: CommandOptions) { return this.call('ClearCache', {} as Request<'ClearCache'>, o); }
  clearChargingProfile(r: Request<'ClearChargingProfile'> = {}, o?: CommandOptions) { return this.call('ClearChargingProfile', r, o); }
  dataTransfer(r: Request<'DataTransfer'>, o?: CommandOptions) { return this.call('DataTransfer', r, o); }
  getCompositeSchedule(r: Request<'GetCompositeSchedule'>, o?: CommandOptions) { return this.call('GetCompositeSchedule', r, o); }
  getConfiguration(r: Request<'GetConfiguration'> = {}, o?: CommandOptions) { return this.call('GetConfiguration', r, o); }
  getDiagnostics(r: Request<'GetDiagnostics'>, o?: CommandOptions) { return this.call('GetDiagnostics', r, o); }
  getLocalListVersion(o?: CommandOptions) { return this.call('GetLocalListVersion', {} as Request<'GetLocalListVersion'>, o); }
  remoteStartTransaction(r: Request<'RemoteStartTransaction'>, o?: CommandOptions) { return this.call('RemoteStartTransaction', r, o); }
  remoteStopTransaction(r: Request<'RemoteStopTransaction'>, o?: CommandOptions) { return this.call('RemoteStopTransaction', r, o); }
  reserveNow(r: Request<'ReserveNow'>, o?: CommandOptions) { return this.call('ReserveNow', r, o); }
  reset(r: Request<'Reset'>, o?: CommandOptions) { return this.call('Reset', r, o); }
  sendLocalList(r: Request<'SendLocalList'>, o?: CommandOptions) { return this.call('SendLocalList', r, o); }
  setChargingProfile(r: Request<'SetChargingProfile'>, o?: CommandOptions) { return this.call('SetChargingProfile', r, o); }
  triggerMessage(r: Request<'TriggerMessage'>, o?: CommandOptions) { return this.call('TriggerMessage', r, o); }
  unlockConnector(r: Request<'UnlockConnector'>, o?: CommandOptions) { return this.call('UnlockConnector', r, o); }
  updateFirmware(r: Request<'UpdateFirmware'>, o?: CommandOptions) { return this.call('UpdateFirmware', r, o); }
}
