import type { DecideHookSpec, HookKinds, ObserveHookSpec } from './kernel/hooks.js';
import type {
  BootNotificationRequest,
  IdTagInfo,
  MeterValuesRequest,
  RegistrationStatus,
  StatusNotificationRequest,
} from './ocpp/v16/messages.js';
import type { Transaction } from './persistence/entities/index.js';

/** The CSMS lifecycle hooks (see DESIGN.md "Hooks"). */
export type CsmsHooks = {
  /** Decide the BootNotification answer; default Accepted for known charge points. */
  onBoot: DecideHookSpec<
    { chargePointId: string; request: BootNotificationRequest; firstBoot: boolean },
    { status: RegistrationStatus; interval?: number }
  >;
  /** Decide an idTag (Authorize, and the re-check in Start/StopTransaction); default: the IdTag table. */
  onAuthorize: DecideHookSpec<{ chargePointId: string; idTag: string; reason: 'Authorize' | 'StartTransaction' | 'StopTransaction' }, IdTagInfo>;
  /** After a BootNotification was answered (and stored): `status` is what the charge point was told. */
  onBootNotification: ObserveHookSpec<{ chargePointId: string; request: BootNotificationRequest; status: RegistrationStatus; receivedAt: Date }>;
  onChargePointConnected: ObserveHookSpec<{ chargePointId: string; remoteAddress: string | undefined; at: Date }>;
  onChargePointDisconnected: ObserveHookSpec<{ chargePointId: string; code: number; reason: string; at: Date }>;
  onStatusNotification: ObserveHookSpec<{ chargePointId: string; status: StatusNotificationRequest; receivedAt: Date }>;
  onTransactionStarted: ObserveHookSpec<{ chargePointId: string; transaction: Transaction }>;
  onMeterValues: ObserveHookSpec<{ chargePointId: string; transactionId: number | null; request: MeterValuesRequest; receivedAt: Date }>;
  onTransactionStopped: ObserveHookSpec<{ chargePointId: string; transaction: Transaction }>;
  onSettingsChanged: ObserveHookSpec<{ key: string; value: unknown; previous: unknown }>;
};

export const csmsHookKinds: HookKinds<CsmsHooks> = {
  onBoot: 'decide',
  onAuthorize: 'decide',
  onBootNotification: 'observe',
  onChargePointConnected: 'observe',
  onChargePointDisconnected: 'observe',
  onStatusNotification: 'observe',
  onTransactionStarted: 'observe',
  onMeterValues: 'observe',
  onTransactionStopped: 'observe',
  onSettingsChanged: 'observe',
};
