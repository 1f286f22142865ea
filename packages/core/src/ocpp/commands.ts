import ocppRpc from 'ocpp-rpc';
import type { Clock } from '../clock.js';
import type { CsmsConfig } from '../config/index.js';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { AuditLogSchema } from '../persistence/entities/index.js';
import type { WriteBatcher } from '../persistence/write-batcher.js';
import { createOcpp16Validator } from './ocpp16-validator.js';
import type { Sessions } from './sessions.js';
import type { CentralSystemAction, CentralSystemActions } from './v16/central-system-messages.js';

export interface CommandOptions {
  /** Who asked, for the audit log: 'api:<key name>', 'dashboard:<user>', 'system:load-management', ... */
  actor?: string;
  /** Overrides `ocpp.callTimeoutMs` for this call. */
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

  constructor(deps: CommandServiceDeps) {
    this.#deps = deps;
  }

  /** The typed commands of one charge point (it need not be connected to get the handle). */
  for(chargePointId: string): ChargePointCommands {
    return new ChargePointCommands(this, chargePointId);
  }

  async send<A extends CentralSystemAction>(chargePointId: string, action: A, request: Request<A>, options: CommandOptions = {}): Promise<Response<A>> {
    const actor = options.actor ?? 'system';
    const fail = async (code: CsmsErrorCode, outcome: string, message: string, cause?: unknown, details: Record<string, unknown> = {}): Promise<never> => {
      await this.#audit(chargePointId, actor, action, request, { error: message, ...details }, outcome);
      throw new CsmsError(code, message, { cause, details: { chargePointId, action, ...details } });
    };

    try {
      this.#validator.validate(`urn:${action}.req`, request);
    } catch (err) {
      return fail(CsmsErrorCode.COMMAND_INVALID, 'invalid', `invalid ${action} request: ${(err as Error).message}`, err);
    }
    const session = this.#deps.sessions.get(chargePointId);
    if (!session) return fail(CsmsErrorCode.CHARGE_POINT_OFFLINE, 'offline', `charge point ${chargePointId} is not connected`);
    const boot = session.registrationStatus;
    if (boot === 'Rejected' && !(action === 'TriggerMessage' && (request as Request<'TriggerMessage'>).requestedMessage === 'BootNotification')) {
      return fail(CsmsErrorCode.CALL_NOT_ALLOWED, 'not-allowed', `charge point ${chargePointId} was Rejected at boot; the central system sends it nothing until it is Accepted`);
    }
    if (boot === 'Pending' && NOT_WHILE_PENDING.has(action)) {
      return fail(CsmsErrorCode.CALL_NOT_ALLOWED, 'not-allowed', `charge point ${chargePointId} is Pending; ${action} is not allowed until its boot is Accepted`);
    }

    let response: Response<A>;
    try {
      response = (await session.client.call(action, request, { callTimeoutMs: options.timeoutMs ?? this.#deps.config.ocpp.callTimeoutMs })) as Response<A>;
    } catch (err) {
      if (err instanceof TimeoutError) {
        return fail(CsmsErrorCode.CALL_TIMEOUT, 'timeout', `charge point ${chargePointId} did not answer ${action} in time`, err);
      }
      const rpcCode = (err as { rpcErrorCode?: string }).rpcErrorCode;
      if (rpcCode) {
        return fail(CsmsErrorCode.CALL_ERROR, 'call-error', `charge point ${chargePointId} answered ${action} with ${rpcCode}: ${(err as Error).message}`, err, { rpcErrorCode: rpcCode });
      }
      return fail(CsmsErrorCode.CHARGE_POINT_OFFLINE, 'offline', `charge point ${chargePointId} disconnected during ${action}: ${(err as Error).message}`, err);
    }
    const status = (response as { status?: string }).status;
    await this.#audit(chargePointId, actor, action, request, response, status ? status.toLowerCase() : 'ok');
    this.#deps.log.info({ chargePointId, action, actor, status }, 'command answered');
    return response;
  }

  async #audit(chargePointId: string, actor: string, action: string, request: unknown, result: unknown, outcome: string): Promise<void> {
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
