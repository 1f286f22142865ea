import type { MikroORM } from '@mikro-orm/core';
import type { CsmsHooks } from '../../hooks.js';
import type { HookRunner } from '../../kernel/hooks.js';
import type { Logger } from '../../kernel/logger.js';
import { ChargePointSchema, DeviceEventSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { parseTimestamp } from '../charge-points/charge-point-service.js';

/**
 * The security events the OCPP 1.6 security whitepaper (§8, A04) marks critical: a charger SHALL
 * send them with guaranteed delivery, and the central system raises them as alerts.
 */
export const CRITICAL_SECURITY_EVENTS: ReadonlySet<string> = new Set([
  'FirmwareUpdated',
  'SettingSystemTime',
  'StartupOfTheDevice',
  'ResetOrReboot',
  'SecurityLogWasCleared',
  'MemoryExhaustion',
  'TamperDetectionActivated',
]);

/** The 1.6 security-extension messages a charge point sends, as the core stores them (`device_event.kind`). */
export const SECURITY_EXTENSION_KINDS = ['SecurityEventNotification', 'SignedFirmwareStatusNotification', 'LogStatusNotification', 'SignCertificate'] as const;
export type SecurityExtensionKind = (typeof SECURITY_EXTENSION_KINDS)[number];

export interface SecurityEventNotificationRequest {
  type: string;
  timestamp: string;
  techInfo?: string;
}

/** Payload of the `onSecurityEvent` hook (plain read-only data). */
export interface SecurityEventPayload {
  readonly chargePointId: string;
  readonly type: string;
  /** The charger's time of the event, as sent (ISO), or null when unreadable. */
  readonly timestamp: string | null;
  readonly techInfo: string | null;
  readonly critical: boolean;
  readonly receivedAt: Date;
}

/** One stored security-extension message, for the REST API and plugins. */
export interface SecurityEventView {
  id: number;
  chargePointId: string;
  kind: SecurityExtensionKind;
  /** SecurityEventNotification: the event type; the others: their status ('Installed', 'Uploaded', ...; SignCertificate: 'Rejected'). */
  status: string | null;
  critical: boolean;
  /** The charger's own time of the event (SecurityEventNotification), ISO. */
  timestamp: string | null;
  techInfo: string | null;
  requestId: number | null;
  receivedAt: string;
}

export interface SecurityEventServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  hooks: HookRunner<CsmsHooks>;
  log: Logger;
}

/**
 * The OCPP 1.6 security extension messages a 1.6 charger may send (SecurityEventNotification,
 * SignedFirmwareStatusNotification, LogStatusNotification, SignCertificate): each is stored as a
 * `device_event` and answered; a critical security event (CRITICAL_SECURITY_EVENTS) is logged at
 * error level as `security-alert` and announced through the `onSecurityEvent` hook (every event
 * is, with `critical` set), which a dashboard, a mailer or a pager can subscribe to.
 */
export class SecurityEventService {
  readonly #deps: SecurityEventServiceDeps;

  constructor(deps: SecurityEventServiceDeps) {
    this.#deps = deps;
  }

  async securityEvent(chargePointId: string, request: SecurityEventNotificationRequest, receivedAt: Date): Promise<void> {
    const critical = CRITICAL_SECURITY_EVENTS.has(request.type);
    await this.#deps.batcher.run((em) => {
      em.create(DeviceEventSchema, {
        chargePoint: chargePointId,
        kind: 'SecurityEventNotification',
        status: request.type.slice(0, 64),
        payload: { ...request, critical },
        receivedAt,
      });
    });
    const fields = { event: critical ? 'security-alert' : 'security-event', chargePointId, type: request.type, techInfo: request.techInfo, timestamp: request.timestamp };
    if (critical) this.#deps.log.error(fields, `critical security event from charge point ${chargePointId}: ${request.type}`);
    else this.#deps.log.warn(fields, `security event from charge point ${chargePointId}: ${request.type}`);
    const at = parseTimestamp(request.timestamp);
    this.#deps.hooks.observe(
      'onSecurityEvent',
      { chargePointId, type: request.type, timestamp: at ? at.toISOString() : null, techInfo: request.techInfo ?? null, critical, receivedAt },
      chargePointId,
    );
  }

  /** SignedFirmwareStatusNotification: stored, and the charge point's firmware status updated like a FirmwareStatusNotification. */
  async signedFirmwareStatus(chargePointId: string, request: { status: string; requestId?: number }, receivedAt: Date): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      await em.nativeUpdate(ChargePointSchema, { id: chargePointId }, { firmwareStatus: request.status, firmwareStatusAt: receivedAt });
      em.create(DeviceEventSchema, { chargePoint: chargePointId, kind: 'SignedFirmwareStatusNotification', status: request.status, payload: request, receivedAt });
    });
    const failed = ['InvalidSignature', 'InstallVerificationFailed', 'InstallationFailed', 'DownloadFailed'].includes(request.status);
    this.#deps.log[failed ? 'warn' : 'info']({ chargePointId, status: request.status, requestId: request.requestId }, 'signed firmware status');
  }

  async logStatus(chargePointId: string, request: { status: string; requestId?: number }, receivedAt: Date): Promise<void> {
    await this.#deps.batcher.run((em) => {
      em.create(DeviceEventSchema, { chargePoint: chargePointId, kind: 'LogStatusNotification', status: request.status, payload: request, receivedAt });
    });
    this.#deps.log.info({ chargePointId, status: request.status, requestId: request.requestId }, 'log upload status');
  }

  /**
   * SignCertificate (the charger asks for a certificate for its CSR): stored and answered Rejected,
   * since this central system has no certificate authority to sign with (issue the certificate
   * out of band, then InstallCertificate / CertificateSigned).
   */
  async signCertificate(chargePointId: string, request: { csr: string }, receivedAt: Date): Promise<{ status: 'Rejected' }> {
    await this.#deps.batcher.run((em) => {
      em.create(DeviceEventSchema, { chargePoint: chargePointId, kind: 'SignCertificate', status: 'Rejected', payload: request, receivedAt });
    });
    this.#deps.log.warn({ chargePointId }, 'SignCertificate answered Rejected: no certificate authority is configured to sign charge point certificates');
    return { status: 'Rejected' };
  }

  /** Stored security-extension messages, newest first. */
  async list(q: { chargePointId?: string; kind?: SecurityExtensionKind; critical?: boolean; limit?: number; offset?: number } = {}): Promise<{ items: SecurityEventView[]; total: number }> {
    const where: Record<string, unknown> = { kind: q.kind ? q.kind : { $in: [...SECURITY_EXTENSION_KINDS] } };
    if (q.chargePointId) where.chargePoint = q.chargePointId;
    if (q.critical !== undefined) {
      where.kind = 'SecurityEventNotification';
      where.status = q.critical ? { $in: [...CRITICAL_SECURITY_EVENTS] } : { $nin: [...CRITICAL_SECURITY_EVENTS] };
    }
    const [rows, total] = await this.#deps.orm.em.fork().findAndCount(DeviceEventSchema, where, {
      orderBy: { receivedAt: 'desc', id: 'desc' },
      limit: Math.min(Math.max(q.limit ?? 50, 1), 1000),
      offset: q.offset ?? 0,
    });
    return {
      total,
      items: rows.map((r) => {
        const p = (r.payload ?? {}) as { timestamp?: string; techInfo?: string; requestId?: number };
        const at = r.kind === 'SecurityEventNotification' && p.timestamp ? parseTimestamp(p.timestamp) : null;
        return {
          id: Number(r.id),
          chargePointId: r.chargePoint as unknown as string,
          kind: r.kind as SecurityExtensionKind,
          status: r.status ?? null,
          critical: r.kind === 'SecurityEventNotification' && CRITICAL_SECURITY_EVENTS.has(r.status ?? ''),
          timestamp: at ? at.toISOString() : null,
          techInfo: p.techInfo ?? null,
          requestId: typeof p.requestId === 'number' ? p.requestId : null,
          receivedAt: r.receivedAt.toISOString(),
        };
      }),
    };
  }
}
