import ocppRpc from 'ocpp-rpc';
import { NO_REPLY } from './connection.js';
import { cancelReservation, reserveNow } from './handlers/reservation-handlers.js';
import {
  changeAvailability,
  changeConfiguration,
  clearCache,
  dataTransfer,
  getConfiguration,
  remoteStartTransaction,
  remoteStopTransaction,
  reset,
  unlockConnector,
} from './handlers/core-handlers.js';
import { getDiagnostics, updateFirmware } from './handlers/firmware-handlers.js';
import type { CallHandler, HandlerContext } from './handlers/handler-context.js';
import { getLocalListVersion, sendLocalList } from './handlers/local-list-handlers.js';
import { clearChargingProfile, getCompositeSchedule, setChargingProfile } from './handlers/smart-charging-handlers.js';
import { triggerMessage } from './handlers/trigger-message-handler.js';
import type { CentralSystemAction } from './ocpp-types.js';

const { createRPCError } = ocppRpc as unknown as { createRPCError: (code: string, message?: string, details?: object) => Error };

/** One handler per CS→CP action, each typed by its action's request and response. */
export const CS_CALL_HANDLERS: { [A in CentralSystemAction]: CallHandler<A> } = {
  CancelReservation: cancelReservation,
  ChangeAvailability: changeAvailability,
  ChangeConfiguration: changeConfiguration,
  ClearCache: clearCache,
  ClearChargingProfile: clearChargingProfile,
  DataTransfer: dataTransfer,
  GetCompositeSchedule: getCompositeSchedule,
  GetConfiguration: getConfiguration,
  GetDiagnostics: getDiagnostics,
  GetLocalListVersion: getLocalListVersion,
  RemoteStartTransaction: remoteStartTransaction,
  RemoteStopTransaction: remoteStopTransaction,
  ReserveNow: reserveNow,
  Reset: reset,
  SendLocalList: sendLocalList,
  SetChargingProfile: setChargingProfile,
  TriggerMessage: triggerMessage,
  UnlockConnector: unlockConnector,
  UpdateFirmware: updateFirmware,
};

/**
 * Routes every CS→CP call (the connection's single handler). While the boot is Rejected the
 * charge point answers nothing (S16 §4.2.1: NOREPLY); RemoteStart/Stop are refused unless
 * Accepted (in the handlers). An unknown action is a NotImplemented CALLERROR.
 */
export function createCsCallRouter(ctx: HandlerContext): (action: string, params: Record<string, unknown>) => Promise<unknown> {
  return async (action, params) => {
    if (ctx.session.state === 'Rejected') return NO_REPLY;
    // The payload was validated against the action's schema by ocpp-rpc before it reaches us.
    const handler = (CS_CALL_HANDLERS as Record<string, ((params: never, ctx: HandlerContext) => unknown) | undefined>)[action];
    if (!handler) throw createRPCError('NotImplemented', `${action} is not an OCPP 1.6 call this charge point handles`, {});
    try {
      return await handler(params as never, ctx);
    } catch (err) {
      ctx.log.error({ action, err: String((err as Error)?.message ?? err) }, 'CS call handler failed');
      throw createRPCError('InternalError', `${action} failed in the charge point`, {});
    }
  };
}
