import type { MikroORM } from '@mikro-orm/core';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import { CsmsError, CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import { ChargePointSchema, DeviceEventSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { DiagnosticsStore, type DiagnosticsUpload } from './diagnostics-store.js';
import { FirmwareStore, type FirmwareFile, type FirmwareSource } from './firmware-store.js';
import { resolvePublicBaseUrl } from './public-base-url.js';

export interface FirmwareOptions {
  /** Largest diagnostics upload accepted (bytes, default 100 MiB); larger ones get 413. */
  maxUploadBytes: number;
  /** How long a GetDiagnostics upload location stays valid (default 24 h). */
  diagnosticsUploadTtlMs: number;
}

export const DEFAULT_FIRMWARE_OPTIONS: Readonly<FirmwareOptions> = Object.freeze({
  maxUploadBytes: 100 * 1024 * 1024,
  diagnosticsUploadTtlMs: 24 * 3_600_000,
});

/** Path prefix of the file routes on the CSMS's HTTP server. */
export const FILES_PATH = '/ocpp-files';

/** Device event kinds this service writes (next to the charge point's own notifications). */
export const FirmwareEventKind = {
  DIAGNOSTICS_REQUESTED: 'DiagnosticsRequested',
  DIAGNOSTICS_UPLOADED: 'DiagnosticsUploaded',
  FIRMWARE_UPDATE_REQUESTED: 'FirmwareUpdateRequested',
} as const;

/** Outcome of sending a request: 'Sending' while in flight, 'Sent' when answered, else the CsmsError code. */
export type DeviceRequestOutcome = string;

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

export interface FirmwareUpdateRequest {
  chargePointId: string;
  requestedAt: Date;
  actor: string;
  location: string;
  retrieveDate: string;
  retries: number | null;
  retryInterval: number | null;
  /** The registered file sent (null when a custom location was given). */
  fileId: string | null;
  fileName: string | null;
  outcome: DeviceRequestOutcome;
}

export interface FirmwareStatus {
  chargePointId: string;
  /** Last FirmwareStatusNotification: 'Idle' | 'Downloading' | 'Downloaded' | 'DownloadFailed' | 'Installing' | 'Installed' | 'InstallationFailed'; null = none. */
  status: string | null;
  statusAt: Date | null;
  /** Firmware version from the last BootNotification. */
  firmwareVersion: string | null;
  /** The last UpdateFirmware sent; null = never. */
  request: FirmwareUpdateRequest | null;
  /** FirmwareStatusNotifications received since that request, oldest first. */
  notifications: Array<{ status: string; at: Date }>;
}

export interface FirmwareServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  commands: CommandService;
  config: CsmsConfig;
  clock: Clock;
  log: Logger;
}

type Time = Date | string;

/**
 * Firmware updates and diagnostics (OCPP 1.6 §5.6, §5.17, §4.4, §4.5): keeps firmware files and
 * serves them over this server's HTTP with unguessable URLs, hands out per-request upload
 * locations for diagnostics, sends UpdateFirmware/GetDiagnostics, and reports progress from the
 * status notifications the core stores (charge point row + device_event history).
 */
export class FirmwareService {
  readonly #deps: FirmwareServiceDeps;
  #options: FirmwareOptions;
  readonly #firmware: FirmwareStore;
  readonly #diagnostics: DiagnosticsStore;
  #server: { address(): AddressInfo | string | null } | undefined;

  constructor(deps: FirmwareServiceDeps, options: Partial<FirmwareOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_FIRMWARE_OPTIONS, ...options };
    this.#firmware = new FirmwareStore(deps.config.filesDir);
    this.#diagnostics = new DiagnosticsStore(deps.config.filesDir);
  }

  get options(): Readonly<FirmwareOptions> {
    return this.#options;
  }

  configure(options: Partial<FirmwareOptions>): void {
    this.#options = { ...this.#options, ...options };
  }

  /** Called by the file routes with the HTTP server, so the listen address can be used when publicUrl is unset. */
  attachServer(server: { address(): AddressInfo | string | null }): void {
    this.#server = server;
  }

  /** Base URL of the file locations (see resolvePublicBaseUrl: `publicUrl`, else the listen address). */
  publicBaseUrl(): string {
    const { config } = this.#deps;
    return resolvePublicBaseUrl({ publicUrl: config.publicUrl, host: config.host, tls: config.tls !== null, address: this.#server?.address() });
  }

  // ---- diagnostics ------------------------------------------------------------------------------

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
    await this.#chargePoint(chargePointId);
    const requestedAt = this.#deps.clock.now();
    const startTime = optionalIso(options.startTime, 'startTime');
    const stopTime = optionalIso(options.stopTime, 'stopTime');
    const slot = options.location ? null : await this.#diagnostics.create(chargePointId, requestedAt, this.#options.diagnosticsUploadTtlMs);
    let location = options.location ?? '';
    try {
      if (slot) location = `${this.publicBaseUrl()}${FILES_PATH}/diagnostics/${encodeURIComponent(chargePointId)}/${slot.token}/`;
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
    const eventId = await this.#recordRequest(chargePointId, FirmwareEventKind.DIAGNOSTICS_REQUESTED, payload, requestedAt);
    try {
      const answer = await this.#deps.commands.send(chargePointId, 'GetDiagnostics', request, { actor });
      payload.fileName = answer.fileName ?? null;
      await this.#settleRequest(eventId, 'Sent', payload);
      this.#deps.log.info({ chargePointId, fileName: payload.fileName, hosted: payload.hosted }, 'diagnostics requested');
      return { chargePointId, requestedAt, actor, location, hosted: payload.hosted, startTime: startTime ?? null, stopTime: stopTime ?? null, fileName: payload.fileName, outcome: 'Sent' };
    } catch (err) {
      await this.#settleRequest(eventId, failureOutcome(err), payload);
      // Never reached the charge point: nobody will upload there.
      if (slot && isCsmsError(err) && err.code !== CsmsErrorCode.CALL_TIMEOUT) await this.#diagnostics.discard(slot);
      throw err;
    }
  }

  async diagnosticsStatus(chargePointId: string): Promise<DiagnosticsStatus> {
    const em = this.#deps.orm.em.fork();
    const cp = await this.#chargePoint(chargePointId);
    const requestEvent = await em.findOne(
      DeviceEventSchema,
      { chargePoint: chargePointId, kind: FirmwareEventKind.DIAGNOSTICS_REQUESTED },
      { orderBy: { id: 'desc' } },
    );
    const since = requestEvent?.id ?? 0;
    const notifications = await this.#notifications(chargePointId, 'DiagnosticsStatusNotification', since);
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
    const upload = await this.#diagnostics.receive(slot, body, { maxBytes: this.#options.maxUploadBytes, fileName });
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

  // ---- firmware ---------------------------------------------------------------------------------

  /** Registers a firmware image (bytes, a path to copy, or a stream) under a new random id. */
  addFirmwareFile(source: FirmwareSource, fileName?: string): Promise<FirmwareFile> {
    return this.#firmware.add(source, fileName, this.#deps.clock.now());
  }

  listFirmwareFiles(): Promise<FirmwareFile[]> {
    return this.#firmware.list();
  }

  getFirmwareFile(id: string): Promise<FirmwareFile | null> {
    return this.#firmware.get(id);
  }

  /** Deletes a registered file; false when there is none with that id. */
  removeFirmwareFile(id: string): Promise<boolean> {
    return this.#firmware.remove(id);
  }

  /** The download URL of a registered file: `<base>/ocpp-files/firmware/<id>/<fileName>`. */
  firmwareUrl(file: Pick<FirmwareFile, 'id' | 'fileName'>): string {
    return `${this.publicBaseUrl()}${FILES_PATH}/firmware/${file.id}/${encodeURIComponent(file.fileName)}`;
  }

  /** The file behind a download URL (used by the file routes); null → 404. */
  openFirmware(id: string, fileName: string): Promise<{ file: FirmwareFile; size: number } | null> {
    return this.#firmware.open(id, fileName);
  }

  /**
   * Sends UpdateFirmware. Give exactly one of `fileId` (a registered file), `fileName` (the newest
   * registered file of that name) or `location` (any URL the charger can fetch, e.g. ftp://).
   * `retrieveDate` defaults to now.
   */
  async updateFirmware(
    chargePointId: string,
    options: { fileId?: string; fileName?: string; location?: string; retrieveDate?: Time; retries?: number; retryInterval?: number; actor?: string },
  ): Promise<FirmwareUpdateRequest> {
    const actor = options.actor ?? 'system';
    const given = [options.fileId, options.fileName, options.location].filter((v) => v !== undefined);
    if (given.length !== 1) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, 'updateFirmware needs exactly one of fileId, fileName or location', {
        details: { fields: { fileId: 'give exactly one of fileId, fileName, location' } },
      });
    }
    await this.#chargePoint(chargePointId);
    let file: FirmwareFile | null = null;
    if (options.fileId !== undefined) file = await this.#firmware.get(options.fileId);
    if (options.fileName !== undefined) file = await this.#firmware.findByName(options.fileName);
    if (options.location === undefined && !file) {
      throw new CsmsError(CsmsErrorCode.NOT_FOUND, `no firmware file ${JSON.stringify(options.fileId ?? options.fileName)} is registered; add it with addFirmwareFile first`, {
        details: { fileId: options.fileId, fileName: options.fileName },
      });
    }
    const location = file ? this.firmwareUrl(file) : options.location!;
    const requestedAt = this.#deps.clock.now();
    const retrieveDate = optionalIso(options.retrieveDate, 'retrieveDate') ?? requestedAt.toISOString();
    const request = {
      location,
      retrieveDate,
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.retryInterval !== undefined ? { retryInterval: options.retryInterval } : {}),
    };
    const payload = { ...request, actor, fileId: file?.id ?? null, fileName: file?.fileName ?? null };
    const eventId = await this.#recordRequest(chargePointId, FirmwareEventKind.FIRMWARE_UPDATE_REQUESTED, payload, requestedAt);
    try {
      await this.#deps.commands.send(chargePointId, 'UpdateFirmware', request, { actor });
    } catch (err) {
      await this.#settleRequest(eventId, failureOutcome(err), payload);
      throw err;
    }
    await this.#settleRequest(eventId, 'Sent', payload);
    this.#deps.log.info({ chargePointId, location, retrieveDate }, 'firmware update requested');
    return {
      chargePointId,
      requestedAt,
      actor,
      location,
      retrieveDate,
      retries: options.retries ?? null,
      retryInterval: options.retryInterval ?? null,
      fileId: payload.fileId,
      fileName: payload.fileName,
      outcome: 'Sent',
    };
  }

  async firmwareStatus(chargePointId: string): Promise<FirmwareStatus> {
    const cp = await this.#chargePoint(chargePointId);
    const requestEvent = await this.#deps.orm.em
      .fork()
      .findOne(DeviceEventSchema, { chargePoint: chargePointId, kind: FirmwareEventKind.FIRMWARE_UPDATE_REQUESTED }, { orderBy: { id: 'desc' } });
    let request: FirmwareUpdateRequest | null = null;
    if (requestEvent) {
      const p = requestEvent.payload as Record<string, unknown>;
      request = {
        chargePointId,
        requestedAt: requestEvent.receivedAt,
        actor: String(p.actor ?? 'system'),
        location: String(p.location ?? ''),
        retrieveDate: String(p.retrieveDate ?? ''),
        retries: (p.retries as number | undefined) ?? null,
        retryInterval: (p.retryInterval as number | undefined) ?? null,
        fileId: (p.fileId as string | null | undefined) ?? null,
        fileName: (p.fileName as string | null | undefined) ?? null,
        outcome: requestEvent.status ?? 'Sent',
      };
    }
    return {
      chargePointId,
      status: cp.firmwareStatus ?? null,
      statusAt: cp.firmwareStatusAt ?? null,
      firmwareVersion: cp.firmwareVersion ?? null,
      request,
      notifications: await this.#notifications(chargePointId, 'FirmwareStatusNotification', requestEvent?.id ?? 0),
    };
  }

  // ---- helpers ----------------------------------------------------------------------------------

  async #chargePoint(chargePointId: string) {
    const cp = await this.#deps.orm.em.fork().findOne(ChargePointSchema, { id: chargePointId });
    if (!cp || cp.id !== chargePointId) {
      throw new CsmsError(CsmsErrorCode.NOT_FOUND, `charge point ${chargePointId} is not registered`, { details: { chargePointId } });
    }
    return cp;
  }

  async #notifications(chargePointId: string, kind: string, sinceId: number): Promise<Array<{ status: string; at: Date }>> {
    const rows = await this.#deps.orm.em
      .fork()
      .find(DeviceEventSchema, { chargePoint: chargePointId, kind, id: { $gt: sinceId } }, { orderBy: { id: 'asc' }, limit: 100 });
    return rows.map((r) => ({ status: r.status ?? '', at: r.receivedAt }));
  }

  /**
   * The request is written before it is sent (status 'Sending'), so the notifications it causes
   * always come after it in the device_event history (higher id), however fast the charger is.
   */
  async #recordRequest(chargePointId: string, kind: string, payload: unknown, requestedAt: Date): Promise<number> {
    return this.#deps.batcher.run(async (em) => {
      const event = em.create(DeviceEventSchema, { chargePoint: chargePointId, kind, status: 'Sending', payload, receivedAt: requestedAt });
      await em.flush();
      return event.id;
    });
  }

  async #settleRequest(eventId: number, status: string, payload: unknown): Promise<void> {
    try {
      await this.#deps.batcher.run(async (em) => {
        await em.nativeUpdate(DeviceEventSchema, { id: eventId }, { status, payload });
      });
    } catch (err) {
      this.#deps.log.error({ err, eventId, status }, 'could not record the outcome of a device request');
    }
  }
}

function optionalIso(value: Time | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `${field} ${JSON.stringify(value)} is not a date; use ISO 8601, e.g. 2026-05-01T10:00:00Z`, {
      details: { fields: { [field]: 'not a date' } },
    });
  }
  return date.toISOString();
}

function failureOutcome(err: unknown): string {
  return isCsmsError(err) ? err.code : 'Error';
}
