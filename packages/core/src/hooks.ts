import type { DecideHookSpec, HookKinds, ObserveHookSpec } from './kernel/hooks.js';
import type { TransactionInfo } from './domain/transactions/transaction-info.js';
import type { SecurityEventPayload } from './domain/security/security-event-service.js';
import type {
  BootNotificationRequest,
  IdTagInfo,
  MeterValuesRequest,
  RegistrationStatus,
  StatusNotificationRequest,
} from './ocpp/v16/messages.js';

/**
 * A hook payload: read-only at the top level in the types, and deep-frozen at run time (nested OCPP
 * request objects keep their `ocpp16` types so they can be passed on, but writing to them throws).
 */
export type HookPayload<T> = Readonly<T>;

/**
 * The CSMS lifecycle hooks (see DESIGN.md "Hooks" and docs/plugins.md). Every payload is plain,
 * frozen data: no ORM entity, no socket, no ocpp-rpc client. Dates are `Date` objects (treat them
 * as read-only too); a transaction is a `TransactionInfo` with ISO-8601 strings.
 */
export type CsmsHooks = {
  /** Decide the BootNotification answer; default Accepted for known charge points. */
  onBoot: DecideHookSpec<
    HookPayload<{ chargePointId: string; request: BootNotificationRequest; firstBoot: boolean }>,
    { status: RegistrationStatus; interval?: number }
  >;
  /** Decide an idTag (Authorize, and the re-check in Start/StopTransaction); default: the IdTag table. */
  onAuthorize: DecideHookSpec<
    HookPayload<{ chargePointId: string; idTag: string; reason: 'Authorize' | 'StartTransaction' | 'StopTransaction' }>,
    IdTagInfo
  >;
  /** After a BootNotification was answered (and stored): `status` is what the charge point was told. */
  onBootNotification: ObserveHookSpec<HookPayload<{ chargePointId: string; request: BootNotificationRequest; status: RegistrationStatus; receivedAt: Date }>>;
  /** A charge point's websocket opened (after the handshake checks). */
  onChargePointConnected: ObserveHookSpec<HookPayload<{ chargePointId: string; remoteAddress: string | undefined; at: Date }>>;
  /** A charge point's websocket closed (not fired for a connection replaced by a newer one). */
  onChargePointDisconnected: ObserveHookSpec<HookPayload<{ chargePointId: string; code: number; reason: string; at: Date }>>;
  /** A StatusNotification was stored. */
  onStatusNotification: ObserveHookSpec<HookPayload<{ chargePointId: string; status: StatusNotificationRequest; receivedAt: Date }>>;
  /** A StartTransaction was committed (not fired for a resent one). */
  onTransactionStarted: ObserveHookSpec<{ readonly chargePointId: string; readonly transaction: TransactionInfo }>;
  /** MeterValues were committed; `transactionId` is null when they belong to no open transaction (kept apart). */
  onMeterValues: ObserveHookSpec<HookPayload<{ chargePointId: string; transactionId: number | null; request: MeterValuesRequest; receivedAt: Date }>>;
  /** A StopTransaction was committed, with the final energy and cost (not fired for a repeated or orphan stop). */
  onTransactionStopped: ObserveHookSpec<{ readonly chargePointId: string; readonly transaction: TransactionInfo }>;
  /** A runtime setting changed (`value` and `previous` are copies). */
  onSettingsChanged: ObserveHookSpec<HookPayload<{ key: string; value: unknown; previous: unknown }>>;
  /** The IdTag table changed (the `idTags` service, after the commit): which tags, how, by whom. */
  onIdTagsChanged: ObserveHookSpec<IdTagsChangedPayload>;
  /** An idTag was decided (Authorize, or the re-check in Start/StopTransaction): the status the charger was given, and by whom. */
  onAuthorizeResult: ObserveHookSpec<
    HookPayload<{ chargePointId: string; idTag: string; reason: 'Authorize' | 'StartTransaction' | 'StopTransaction'; status: IdTagInfo['status']; decidedBy: 'plugin' | 'idTag table' }>
  >;
  /** A SecurityEventNotification was stored; `critical` per the security whitepaper (alerts: subscribe and act on critical ones). */
  onSecurityEvent: ObserveHookSpec<SecurityEventPayload>;
};

/** Payload of `onIdTagsChanged` (plain read-only data). */
export interface IdTagsChangedPayload {
  readonly change: 'created' | 'updated' | 'deleted' | 'imported';
  readonly idTags: readonly string[];
  readonly actor: string;
}

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
  onIdTagsChanged: 'observe',
  onAuthorizeResult: 'observe',
  onSecurityEvent: 'observe',
};
