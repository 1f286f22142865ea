import type { Logger } from '@charge-it/core/kernel';
import type { AuthorizationCache } from '../../auth/authorization-cache.js';
import type { Authorizer } from '../../auth/authorizer.js';
import type { LocalAuthList } from '../../auth/local-auth-list.js';
import type { ConfigurationStore } from '../../config-keys/configuration-store.js';
import type { ChargePointController } from '../../connectors/charge-point-controller.js';
import type { ChargingProfileStore } from '../../smart-charging/charging-profile-store.js';
import type { BootStateMachine } from '../boot-state-machine.js';
import type { Clock } from '../clock.js';
import type { Connection } from '../connection.js';
import type { Outbox } from '../outbox.js';
import type { CentralSystemAction, CentralSystemActions } from '../ocpp-types.js';
import type { CredentialStore } from '../../security/credential-store.js';
import type { SecurityEventReporter } from '../../security/security-events.js';

/** What the CS→CP call handlers may use. */
export interface HandlerContext {
  identity: string;
  dataDir: string;
  controller: ChargePointController;
  config: ConfigurationStore;
  session: BootStateMachine;
  connection: Connection;
  authorizer: Authorizer;
  cache: AuthorizationCache;
  localList: LocalAuthList;
  profiles: ChargingProfileStore;
  outbox: Outbox;
  /** The Basic-auth key and its A01 rotation. */
  credentials: CredentialStore;
  /** SecurityEventNotification, queued durably. */
  security: SecurityEventReporter;
  clock: Clock;
  log: Logger;
  /** Reset accepted: the runtime stops its session and tells the host (CLI) to restart. */
  requestReset(type: 'Hard' | 'Soft'): void;
  /** Snapshot written into the diagnostics file. */
  diagnostics(): Record<string, unknown>;
  /** Firmware/diagnostics progress, as last reported (TriggerMessage answers with it). */
  firmwareStatus: { value: string };
  diagnosticsStatus: { value: string };
}

/** The request (validated by ocpp-rpc against the OCPP 1.6 schema) and response of a CS→CP action. */
export type CallRequest<A extends CentralSystemAction> = CentralSystemActions[A]['request'];
export type CallResponse<A extends CentralSystemAction> = CentralSystemActions[A]['response'];

/** The handler of one CS→CP action: a wrong or missing response field is a compile error. */
export type CallHandler<A extends CentralSystemAction> = (params: CallRequest<A>, ctx: HandlerContext) => Promise<CallResponse<A>> | CallResponse<A>;

/** Runs `fn` after the current reply went out (so the CS sees the .conf before what follows). */
export function afterReply(fn: () => unknown): void {
  setTimeout(() => {
    Promise.resolve()
      .then(fn)
      .catch(() => {});
  }, 20);
}
