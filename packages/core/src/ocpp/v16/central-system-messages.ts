/**
 * OCPP 1.6J payload types of the central-system-initiated actions (transcribed from the OCPP 1.6
 * JSON schemas that ocpp-rpc validates against; dates are ISO 8601 strings).
 */
import type { IdTagInfo } from './messages.js';

export type ChargingRateUnit = 'A' | 'W';
export type ChargingProfilePurpose = 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile';
export type ChargingProfileKind = 'Absolute' | 'Recurring' | 'Relative';

export interface ChargingSchedulePeriod {
  startPeriod: number;
  limit: number;
  numberPhases?: number;
}

export interface ChargingSchedule {
  duration?: number;
  startSchedule?: string;
  chargingRateUnit: ChargingRateUnit;
  chargingSchedulePeriod: ChargingSchedulePeriod[];
  minChargingRate?: number;
}

export interface ChargingProfile {
  chargingProfileId: number;
  transactionId?: number;
  stackLevel: number;
  chargingProfilePurpose: ChargingProfilePurpose;
  chargingProfileKind: ChargingProfileKind;
  recurrencyKind?: 'Daily' | 'Weekly';
  validFrom?: string;
  validTo?: string;
  chargingSchedule: ChargingSchedule;
}

export interface AuthorizationData {
  idTag: string;
  idTagInfo?: IdTagInfo;
}

export type MessageTrigger =
  | 'BootNotification'
  | 'DiagnosticsStatusNotification'
  | 'FirmwareStatusNotification'
  | 'Heartbeat'
  | 'MeterValues'
  | 'StatusNotification';

type Empty = Record<string, never>;

/** Request and response types of every central-system-initiated action, by action name. */
export interface CentralSystemActions {
  CancelReservation: { request: { reservationId: number }; response: { status: 'Accepted' | 'Rejected' } };
  ChangeAvailability: {
    request: { connectorId: number; type: 'Inoperative' | 'Operative' };
    response: { status: 'Accepted' | 'Rejected' | 'Scheduled' };
  };
  ChangeConfiguration: {
    request: { key: string; value: string };
    response: { status: 'Accepted' | 'Rejected' | 'RebootRequired' | 'NotSupported' };
  };
  ClearCache: { request: Empty; response: { status: 'Accepted' | 'Rejected' } };
  ClearChargingProfile: {
    request: { id?: number; connectorId?: number; chargingProfilePurpose?: ChargingProfilePurpose; stackLevel?: number };
    response: { status: 'Accepted' | 'Unknown' };
  };
  DataTransfer: {
    request: { vendorId: string; messageId?: string; data?: string };
    response: { status: 'Accepted' | 'Rejected' | 'UnknownMessageId' | 'UnknownVendorId'; data?: string };
  };
  GetCompositeSchedule: {
    request: { connectorId: number; duration: number; chargingRateUnit?: ChargingRateUnit };
    response: { status: 'Accepted' | 'Rejected'; connectorId?: number; scheduleStart?: string; chargingSchedule?: ChargingSchedule };
  };
  GetConfiguration: {
    request: { key?: string[] };
    response: { configurationKey?: Array<{ key: string; readonly: boolean; value?: string }>; unknownKey?: string[] };
  };
  GetDiagnostics: {
    request: { location: string; retries?: number; retryInterval?: number; startTime?: string; stopTime?: string };
    response: { fileName?: string };
  };
  GetLocalListVersion: { request: Empty; response: { listVersion: number } };
  RemoteStartTransaction: {
    request: { connectorId?: number; idTag: string; chargingProfile?: ChargingProfile };
    response: { status: 'Accepted' | 'Rejected' };
  };
  RemoteStopTransaction: { request: { transactionId: number }; response: { status: 'Accepted' | 'Rejected' } };
  ReserveNow: {
    request: { connectorId: number; expiryDate: string; idTag: string; parentIdTag?: string; reservationId: number };
    response: { status: 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable' };
  };
  Reset: { request: { type: 'Hard' | 'Soft' }; response: { status: 'Accepted' | 'Rejected' } };
  SendLocalList: {
    request: { listVersion: number; localAuthorizationList?: AuthorizationData[]; updateType: 'Differential' | 'Full' };
    response: { status: 'Accepted' | 'Failed' | 'NotSupported' | 'VersionMismatch' };
  };
  SetChargingProfile: {
    request: { connectorId: number; csChargingProfiles: ChargingProfile };
    response: { status: 'Accepted' | 'Rejected' | 'NotSupported' };
  };
  TriggerMessage: {
    request: { requestedMessage: MessageTrigger; connectorId?: number };
    response: { status: 'Accepted' | 'Rejected' | 'NotImplemented' };
  };
  UnlockConnector: { request: { connectorId: number }; response: { status: 'Unlocked' | 'UnlockFailed' | 'NotSupported' } };
  UpdateFirmware: {
    request: { location: string; retrieveDate: string; retries?: number; retryInterval?: number };
    response: Empty;
  };
}

export type CentralSystemAction = keyof CentralSystemActions;

export const CENTRAL_SYSTEM_ACTIONS: readonly CentralSystemAction[] = [
  'CancelReservation',
  'ChangeAvailability',
  'ChangeConfiguration',
  'ClearCache',
  'ClearChargingProfile',
  'DataTransfer',
  'GetCompositeSchedule',
  'GetConfiguration',
  'GetDiagnostics',
  'GetLocalListVersion',
  'RemoteStartTransaction',
  'RemoteStopTransaction',
  'ReserveNow',
  'Reset',
  'SendLocalList',
  'SetChargingProfile',
  'TriggerMessage',
  'UnlockConnector',
  'UpdateFirmware',
];

