/**
 * Diagnostics (OCPP 1.6 §5.8 GetDiagnostics, §4.4 DiagnosticsStatusNotification): hands out
 * per-request upload locations on this server, sends GetDiagnostics, stores the uploaded file and
 * reports progress from the status notifications. FirmwareService exposes it (same public API).
 */
import type { MikroORM } from '@mikro-orm/core';
import type { Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import { CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import { DeviceEventSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { failureOutcome, FILES_PATH, FirmwareEventKind, optionalIso, type DeviceRequestOutcome, type DeviceRequests, type Time } from './device-requests.js';
import type { DiagnosticsStore, DiagnosticsUpload } from './diagnostics-store.js';

export interface DiagnosticsRequest {
  chargePointId: string;
  requestedAt: Date;
  actor: string;
  /** The location sent in GetDiagnostics. */
  location: string;
  /** False when a custom location (e.g. ftp://) was given: the upload does not come to this server. */
  hosted: boolean;
  startTime: string | null;
  stopTime: string | null;
  /** The file name the charge point announced in GetDiagnostics.conf; null = it has no diagnostics to send. */
  fileName: string | null;
  outcome: DeviceRequestOutcome;
}

export interface DiagnosticsStatus {
  chargePointId: string;
  /** Last DiagnosticsStatusNotification: 'Idle' | 'Uploading' | 'Uploaded' | 'UploadFailed'; null = none received. */
  status: string | null;
  statusAt: Date | null;
  /** The last GetDiagnostics sent; null = never. */
  request: DiagnosticsRequest | null;
  /** The file received for that request; null until the charge point uploaded it. */
  upload: (DiagnosticsUpload & { receivedAt: Date }) | null;
  /** DiagnosticsStatusNotifications received since that request, oldest first. */
  notifications: Array<{ status: string; at: Date }>;
}

export interface DiagnosticsServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  commands: CommandService;
  clock: Clock;
  log: Logger;
}

export interface DiagnosticsContext {
  /** The current upload limits (FirmwareService's options, which `configure` may change). */
  options(): { maxUploadBytes: number; diagnosticsUploadTtlMs: number };
  /** Base URL of the upload locations. */
  publicBaseUrl(): string;
}

export class DiagnosticsService {
  readonly #deps: DiagnosticsServiceDeps;
  readonly #requests: DeviceRequests;
  readonly #diagnostics: DiagnosticsStore;
  readonly #context: DiagnosticsContext;

  constructor(deps: DiagnosticsServiceDeps, requests: DeviceRequests, store: DiagnosticsStore, context: DiagnosticsContext) {
    this.#deps = deps;
    this.#requests = requests;
    this.#diagnostics = store;
    this.#context = context;
  }

  /**
   * Sends GetDiagnostics with an upload location on this server
   * (`<base>/ocpp-files/diagnostics/<charge point>/<token>/`, valid for `diagnosticsUploadTtlMs`),
   * or with `location` when given (e.g. an FTP server; then no upload is tracked here).
   */
  async requestDiagnostics(
    chargePointId: string,
    options: { startTime?: Time; stopTime?: Time; retries?: number; retryInterval?: number; location?: string; actor?: string } = {},
  ): Promise<DiagnosticsRequest> {
    const actor = options.actor ?? 'system';
    await this.#requests.chargePoint(chargePointId);
    const requestedAt = this.#deps.clock.now();
    const startTime = optionalIso(options.startTime, 'startTime');
    const stopTime = optionalIso(options.stopTime, 'stopTime');
    const slot = options.location ? null : await this.#diagnostics.create(chargePointId, requestedAt, this.#context.options().diagnosticsUploadTtlMs);
    let location = options.location ?? '';
    try {
      if (slot) location = `${this.#context.publicBaseUrl()}${FILES_PATH}/diagnostics/${encodeURIComponent(chargePointId)}/${slot.token}/`;
    } catch (err) {
      if (slot) await this.#diagnostics.discard(slot);
      throw err;
    }
    const request = {
      location,
      ...(startTime ? { startTime } : {}),
      ...(stopTime ? { stopTime } : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.retryInterval !== undefined ? { retryInterval: options.retryInterval } : {}),
    };
    const payload = { ...request, token: slot?.token ?? null, actor, hosted: slot !== null, fileName: null as string | null };
    const eventId = await this.#requests.recordRequest(chargePointId, FirmwareEventKind.DIAGNOSTICS_REQUESTED, payload, requestedAt);
    try {
      const answer = await this.#deps.commands.send(chargePointId, 'GetDiagnostics', request, { actor });
      payload.fileName = answer.fileName ?? null;
      await this.#requests.settleRequest(eventId, 'Sent', payload);
      this.#deps.log.info({ chargePointId, fileName: payload.fileName, hosted: payload.hosted }, 'diagnostics requested');
      return { chargePointId, requestedAt, actor, location, hosted: payload.hosted, startTime: startTime ?? null, stopTime: stopTime ?? null, fileName: payload.fileName, outcome: 'Sent' };
    } catch (err) {
      await this.#requests.settleRequest(eventId, failureOutcome(err), payload);
      // Never reached the charge point: nobody will upload there.
      if (slot && isCsmsError(err) && err.code !== CsmsErrorCode.CALL_TIMEOUT) await this.#diagnostics.discard(slot);
      throw err;
    }
  }

  async diagnosticsStatus(chargePointId: string): Promise<DiagnosticsStatus> {
    const em = this.#deps.orm.em.fork();
    const cp = await this.#requests.chargePoint(chargePointId);
    const requestEvent = await em.findOne(
      DeviceEventSchema,
      { chargePoint: chargePointId, kind: FirmwareEventKind.DIAGNOSTICS_REQUESTED },
      { orderBy: { id: 'desc' } },
    );
    const since = requestEvent?.id ?? 0;
    const notifications = await this.#requests.notifications(chargePointId, 'DiagnosticsStatusNotification', since);
    let upload: DiagnosticsStatus['upload'] = null;
    let request: DiagnosticsRequest | null = null;
    if (requestEvent) {
      const p = requestEvent.payload as Record<string, unknown>;
      request = {
        chargePointId,
        requestedAt: requestEvent.receivedAt,
        actor: String(p.actor ?? 'system'),
        location: String(p.location ?? ''),
        hosted: p.hosted === true,
        startTime: (p.startTime as string | undefined) ?? null,
        stopTime: (p.stopTime as string | undefined) ?? null,
        fileName: (p.fileName as string | null | undefined) ?? null,
        outcome: requestEvent.status ?? 'Sent',
      };
      if (p.token) {
        const uploads = await em.find(
          DeviceEventSchema,
          { chargePoint: chargePointId, kind: FirmwareEventKind.DIAGNOSTICS_UPLOADED, id: { $gt: since } },
          { orderBy: { id: 'desc' }, limit: 50 },
        );
        const hit = uploads.find((u) => (u.payload as { token?: string }).token === p.token);
        if (hit) {
          const u = hit.payload as DiagnosticsUpload;
          upload = { fileName: u.fileName, path: u.path, bytes: u.bytes, receivedAt: hit.receivedAt };
        }
      }
    }
    return { chargePointId, status: cp.diagnosticsStatus ?? null, statusAt: cp.diagnosticsStatusAt ?? null, request, upload, notifications };
  }

  /**
   * Stores an upload to a diagnostics location (used by the file routes). Returns null when the
   * location is unknown, belongs to another charge point, or expired (the route answers 404).
   */
  async receiveDiagnostics(
    chargePointId: string,
    token: string,
    body: Readable,
    fileName: () => string | null,
  ): Promise<DiagnosticsUpload | null> {
    const slot = await this.#diagnostics.find(chargePointId, token, this.#deps.clock.now());
    if (!slot) return null;
    const upload = await this.#diagnostics.receive(slot, body, { maxBytes: this.#context.options().maxUploadBytes, fileName });
    const receivedAt = this.#deps.clock.now();
    await this.#deps.batcher.run((em) => {
      em.create(DeviceEventSchema, {
        chargePoint: chargePointId,
        kind: FirmwareEventKind.DIAGNOSTICS_UPLOADED,
        status: 'Received',
        payload: { token, ...upload },
        receivedAt,
      });
    });
    this.#deps.log.info({ chargePointId, fileName: upload.fileName, bytes: upload.bytes }, 'diagnostics file received');
    return upload;
  }
}
