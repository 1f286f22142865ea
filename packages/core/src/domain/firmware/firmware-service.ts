import type { MikroORM } from '@mikro-orm/core';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import { DeviceEventSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import { DeviceRequests, failureOutcome, FILES_PATH, FirmwareEventKind, optionalIso, type DeviceRequestOutcome, type Time } from './device-requests.js';
import { DiagnosticsService, type DiagnosticsRequest, type DiagnosticsStatus } from './diagnostics-service.js';
import { DiagnosticsStore, type DiagnosticsUpload } from './diagnostics-store.js';
import { FirmwareStore, type FirmwareFile, type FirmwareSource } from './firmware-store.js';
import { resolvePublicBaseUrl } from './public-base-url.js';

export { FILES_PATH, FirmwareEventKind, type DeviceRequestOutcome } from './device-requests.js';
export type { DiagnosticsRequest, DiagnosticsStatus } from './diagnostics-service.js';

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

/**
 * Firmware updates and diagnostics (OCPP 1.6 §5.6, §5.17, §4.4, §4.5): keeps firmware files and
 * serves them over this server's HTTP with unguessable URLs, hands out per-request upload
 * locations for diagnostics, sends UpdateFirmware/GetDiagnostics, and reports progress from the
 * status notifications the core stores (charge point row + device_event history).
 * Diagnostics live in DiagnosticsService (diagnostics-service.ts), which the diagnostics methods
 * below delegate to; what both share is in device-requests.ts.
 */
export class FirmwareService {
  readonly #deps: FirmwareServiceDeps;
  #options: FirmwareOptions;
  readonly #firmware: FirmwareStore;
  readonly #requests: DeviceRequests;
  readonly #diagnosticsService: DiagnosticsService;
  #server: { address(): AddressInfo | string | null } | undefined;

  constructor(deps: FirmwareServiceDeps, options: Partial<FirmwareOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...DEFAULT_FIRMWARE_OPTIONS, ...options };
    this.#firmware = new FirmwareStore(deps.config.filesDir);
    this.#requests = new DeviceRequests(deps);
    this.#diagnosticsService = new DiagnosticsService(deps, this.#requests, new DiagnosticsStore(deps.config.filesDir), {
      options: () => this.#options,
      publicBaseUrl: () => this.publicBaseUrl(),
    });
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

  // ---- diagnostics (DiagnosticsService, diagnostics-service.ts) ---------------------------------

  /**
   * Sends GetDiagnostics with an upload location on this server
   * (`<base>/ocpp-files/diagnostics/<charge point>/<token>/`, valid for `diagnosticsUploadTtlMs`),
   * or with `location` when given (e.g. an FTP server; then no upload is tracked here).
   */
  requestDiagnostics(
    chargePointId: string,
    options: { startTime?: Time; stopTime?: Time; retries?: number; retryInterval?: number; location?: string; actor?: string } = {},
  ): Promise<DiagnosticsRequest> {
    return this.#diagnosticsService.requestDiagnostics(chargePointId, options);
  }

  diagnosticsStatus(chargePointId: string): Promise<DiagnosticsStatus> {
    return this.#diagnosticsService.diagnosticsStatus(chargePointId);
  }

  /**
   * Stores an upload to a diagnostics location (used by the file routes). Returns null when the
   * location is unknown, belongs to another charge point, or expired (the route answers 404).
   */
  receiveDiagnostics(chargePointId: string, token: string, body: Readable, fileName: () => string | null): Promise<DiagnosticsUpload | null> {
    return this.#diagnosticsService.receiveDiagnostics(chargePointId, token, body, fileName);
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
    await this.#requests.chargePoint(chargePointId);
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
    const eventId = await this.#requests.recordRequest(chargePointId, FirmwareEventKind.FIRMWARE_UPDATE_REQUESTED, payload, requestedAt);
    try {
      await this.#deps.commands.send(chargePointId, 'UpdateFirmware', request, { actor });
    } catch (err) {
      await this.#requests.settleRequest(eventId, failureOutcome(err), payload);
      throw err;
    }
    await this.#requests.settleRequest(eventId, 'Sent', payload);
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
    const cp = await this.#requests.chargePoint(chargePointId);
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
      notifications: await this.#requests.notifications(chargePointId, 'FirmwareStatusNotification', requestEvent?.id ?? 0),
    };
  }
}
