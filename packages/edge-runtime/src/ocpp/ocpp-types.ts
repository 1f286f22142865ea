/**
 * The OCPP 1.6J shapes the runtime works with. The payload types are the core's
 * (`@charge-it/core/ocpp16`, no runtime dependencies), so that the charge point and the central
 * system are written against one transcription of the schemas; only the runtime's own helpers live here.
 */
import type { IdTagInfo } from '@charge-it/core/ocpp16';

export type {
  BootNotificationRequest,
  BootNotificationResponse,
  AuthorizationData,
  CentralSystemAction,
  CentralSystemActions,
  ChargePointAction,
  ChargePointActions,
  ChargePointErrorCode,
  ChargePointStatus,
  ChargingProfile,
  ChargingProfilePurpose,
  ChargingRateUnit,
  IdTagInfo,
  IdTagStatus,
  MeterValue,
  MeterValuesRequest,
  ReadingContext,
  RegistrationStatus,
  SampledValue,
  StartTransactionRequest,
  StartTransactionResponse,
  StatusNotificationRequest,
  StopReason,
  StopTransactionRequest,
  StopTransactionResponse,
} from '@charge-it/core/ocpp16';
// Every CS→CP call of OCPP 1.6J: the runtime registers a handler for each (cs-call-router.ts).
export { CENTRAL_SYSTEM_ACTIONS } from '@charge-it/core/ocpp16';

/** Valid authorization statuses for charging (S16 §7.47: Accepted and ConcurrentTx). */
export function isValidStatus(info: IdTagInfo | undefined, nowMs: number): boolean {
  if (!info) return false;
  if (info.status !== 'Accepted' && info.status !== 'ConcurrentTx') return false;
  if (info.expiryDate && Date.parse(info.expiryDate) <= nowMs) return false;
  return true;
}
