import type { Logger } from '@charge-it/core/kernel';
import type { Outbox } from '../ocpp/outbox.js';

/**
 * Security event types of the OCPP 1.6 security whitepaper (edition 3, appendix 1) that this
 * runtime reports, with the appendix's "critical" column (critical ones must reach the central
 * system; the others are sent too, since its security log is where an operator looks). Critical
 * ones are logged at warn, the others at info.
 */
export const SECURITY_EVENTS = {
  /** The firmware was updated (UpdateFirmware reached Installed). Critical. */
  FirmwareUpdated: { critical: true },
  /** The central system refused our key at the handshake (401). */
  FailedToAuthenticateAtCentralSystem: { critical: false },
  /** The device started (power cut, crash, clean restart). Critical. */
  StartupOfTheDevice: { critical: true },
  /** The device rebooted on a Reset from the central system. Critical. */
  ResetOrReboot: { critical: true },
  /** A security parameter changed (AuthorizationKey rotated). */
  ReconfigurationOfSecurityParameters: { critical: false },
  /** The central system's TLS certificate did not verify against the configured CA. */
  InvalidCentralSystemCertificate: { critical: false },
} as const;

export type SecurityEventType = keyof typeof SECURITY_EVENTS;

/** TLS error codes of Node's `tls` that mean "the server's certificate is not one we trust". */
const CERTIFICATE_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isCertificateError(code: string | undefined): boolean {
  return code !== undefined && CERTIFICATE_ERRORS.has(code);
}

/**
 * Sends SecurityEventNotification through a durable outbox of its own (`security-events.jsonl`):
 * journaled and fsynced before `report` returns, delivered in order once the charge point is
 * online and Accepted, kept across restarts while offline. Its own queue (not the transaction
 * outbox) so that a central system without the security extension (NotImplemented) delays no
 * transaction message. Connection failures are reported once per outage, not once per retry.
 */
export class SecurityEventReporter {
  readonly #outbox: Outbox;
  readonly #log: Logger;
  readonly #now: () => string;
  readonly #enabled: boolean;
  /** Failure types already reported during the current outage. */
  readonly #reportedThisOutage = new Set<SecurityEventType>();

  constructor(deps: { outbox: Outbox; log: Logger; now: () => string; enabled?: boolean }) {
    this.#outbox = deps.outbox;
    this.#log = deps.log;
    this.#now = deps.now;
    this.#enabled = deps.enabled ?? true;
  }

  report(type: SecurityEventType, techInfo?: string): void {
    const level = SECURITY_EVENTS[type].critical ? 'warn' : 'info';
    this.#log[level]({ securityEvent: type, techInfo }, 'security event');
    if (!this.#enabled) return;
    this.#outbox.enqueue('SecurityEventNotification', { type, timestamp: this.#now(), ...(techInfo ? { techInfo: techInfo.slice(0, 255) } : {}) });
  }

  /** A connect attempt failed: a refused key or an untrusted certificate is a security event (once per outage). */
  connectFailed(failure: { status?: number; code?: string; message: string }): void {
    if (failure.status === 401) this.#once('FailedToAuthenticateAtCentralSystem', 'the central system answered 401 to our Basic-auth key');
    else if (isCertificateError(failure.code)) this.#once('InvalidCentralSystemCertificate', `${failure.code}: ${failure.message}`);
  }

  /** Connected: the next outage reports its failures again. */
  connected(): void {
    this.#reportedThisOutage.clear();
  }

  #once(type: SecurityEventType, techInfo: string): void {
    if (this.#reportedThisOutage.has(type)) return;
    this.#reportedThisOutage.add(type);
    this.report(type, techInfo);
  }
}
