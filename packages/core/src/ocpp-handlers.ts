import type { AuthorizationService } from './domain/authorization/authorization-service.js';
import type { ChargePointService } from './domain/charge-points/charge-point-service.js';
import type { TransactionService } from './domain/transactions/transaction-service.js';
import type { CoreActionHandlers, DataTransferHandler, IncomingCall } from './ocpp/action-router.js';
import { schemaViolationOf } from './ocpp/ocpp16-validator.js';
import { NO_INTAKE, type MessageIntake } from './domain/transactions/transaction-service.js';

/** A transaction message's schema violation (it was let through: its readable core was intact). */
function intakeOf(call: IncomingCall<unknown>): MessageIntake {
  const schemaViolation = schemaViolationOf(call.params);
  return schemaViolation ? { schemaViolation, messageId: call.messageId } : NO_INTAKE;
}

export interface CoreHandlerDeps {
  chargePoints: ChargePointService;
  authorization: AuthorizationService;
  transactions: TransactionService;
  /** The plugin that claimed a DataTransfer vendorId, if any. */
  vendorHandler(vendorId: string): DataTransferHandler | undefined;
}

/**
 * The core's answers to the ten charge-point-initiated actions of OCPP 1.6J: the table that joins
 * the OCPP layer (src/ocpp, which knows nothing of the domain) to the domain services. It sits above
 * both, next to the composition root.
 */
export function createCoreHandlers(deps: CoreHandlerDeps): CoreActionHandlers {
  const { chargePoints, authorization, transactions } = deps;
  return {
    BootNotification: async (call) => {
      const response = await chargePoints.boot(call.chargePointId, call.params, call.receivedAt);
      call.connection.registrationStatus = response.status;
      return response;
    },
    Heartbeat: (call) => chargePoints.heartbeat(call.chargePointId, call.receivedAt),
    StatusNotification: async (call) => {
      await chargePoints.statusNotification(call.chargePointId, call.params, call.receivedAt);
      return {};
    },
    Authorize: async (call) => ({ idTagInfo: await authorization.authorize(call.chargePointId, call.params.idTag, 'Authorize') }),
    StartTransaction: (call) => transactions.start(call.chargePointId, call.params, call.receivedAt, intakeOf(call)),
    MeterValues: (call) => transactions.meterValues(call.chargePointId, call.params, call.receivedAt, intakeOf(call)),
    StopTransaction: (call) => transactions.stop(call.chargePointId, call.params, call.receivedAt, intakeOf(call)),
    DataTransfer: async (call) => {
      const handler = deps.vendorHandler(call.params.vendorId);
      // The plugin gets the call without the internal connection (no ocpp-rpc client for plugins).
      const { connection: _connection, ...pluginCall } = call;
      const response = handler ? await handler(pluginCall) : { status: 'UnknownVendorId' as const };
      await chargePoints.recordDataTransfer(call.chargePointId, call.params, response, call.receivedAt);
      return response;
    },
    DiagnosticsStatusNotification: async (call) => {
      await chargePoints.diagnosticsStatus(call.chargePointId, call.params, call.receivedAt);
      return {};
    },
    FirmwareStatusNotification: async (call) => {
      await chargePoints.firmwareStatus(call.chargePointId, call.params, call.receivedAt);
      return {};
    },
  };
}
