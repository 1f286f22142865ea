import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import type { CsmsConfig } from '../../config/index.js';
import type { CsmsHooks } from '../../hooks.js';
import type { HookRunner } from '../../kernel/hooks.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type {
  BootNotificationRequest,
  BootNotificationResponse,
  DataTransferRequest,
  DataTransferResponse,
  DiagnosticsStatusNotificationRequest,
  FirmwareStatusNotificationRequest,
  RegistrationStatus,
  StatusNotificationRequest,
} from '../../ocpp/v16/messages.js';
import {
  ChargePointSchema,
  ConnectorSchema,
  DeviceEventSchema,
  StatusEventSchema,
  type ChargePoint,
} from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

export interface ChargePointServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  hooks: HookRunner<CsmsHooks>;
  config: CsmsConfig;
  clock: Clock;
  log: Logger;
}

/** What the websocket gateway needs to know about a charge point before it upgrades. */
export interface ChargePointCredentials {
  securityProfile: 0 | 1 | 2;
  authKeyHash: string | null;
  registrationStatus: RegistrationStatus | null;
}

/**
 * Registration, boot, heartbeat and the notifications of a charge point (BootNotification,
 * Heartbeat, StatusNotification, DiagnosticsStatusNotification, FirmwareStatusNotification,
 * DataTransfer records). Liveness (last heartbeat / last seen) is kept in memory and written in
 * one batch every few seconds, so that 10,000 chargers heartbeating do not cost 10,000 commits.
 */
export class ChargePointService {
  readonly #deps: ChargePointServiceDeps;
  readonly #liveness = new Map<string, { seenAt: Date; heartbeatAt?: Date }>();
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(deps: ChargePointServiceDeps) {
    this.#deps = deps;
  }

  async lookup(chargePointId: string): Promise<ChargePointCredentials | null> {
    const cp = await this.#deps.orm.em.fork().findOne(ChargePointSchema, { id: chargePointId });
    // Ids are exact: MariaDB's case-insensitive collation would otherwise admit "cp-1" as "CP-1"
    // (a second session for the same charge point, rows under another id); SQLite never matches it.
    if (!cp || cp.id !== chargePointId) return null;
    return {
      securityProfile: (cp.securityProfile ?? 0) as 0 | 1 | 2,
      authKeyHash: cp.authKeyHash ?? null,
      registrationStatus: cp.registrationStatus ?? null,
    };
  }

  /** Registers an unknown charge point (auto-registration). Idempotent. */
  async register(chargePointId: string): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      // LIKE is case-insensitive for ASCII on SQLite and MariaDB alike ('_' may over-match; the
      // filter below is exact), so both databases refuse an id that only differs in letter case.
      const similar = await em.find(ChargePointSchema, { id: { $like: chargePointId } });
      if (similar.some((cp) => cp.id === chargePointId)) return;
      const clash = similar.find((cp) => cp.id.toLowerCase() === chargePointId.toLowerCase());
      if (clash) {
        throw new CsmsError(
          CsmsErrorCode.CHARGE_POINT_UNKNOWN,
          `charge point id "${chargePointId}" differs only in letter case from the registered "${clash.id}"; ` +
            'ids are case-sensitive: configure the charger with the registered id',
          { details: { chargePointId, registered: clash.id } },
        );
      }
      em.create(ChargePointSchema, { id: chargePointId, securityProfile: 0 });
    });
    this.#deps.log.info({ chargePointId }, 'charge point auto-registered');
  }

  async boot(chargePointId: string, request: BootNotificationRequest, receivedAt: Date): Promise<BootNotificationResponse> {
    const { hooks, config, batcher } = this.#deps;
    // Only a deciding plugin needs `firstBoot`: without one, the Boot costs no extra read.
    const decision = hooks.has('onBoot')
      ? await hooks.decide('onBoot', {
          chargePointId,
          request,
          firstBoot: !(await this.#deps.orm.em.fork().findOne(ChargePointSchema, { id: chargePointId }))?.lastBootAt,
        })
      : undefined;
    const status: RegistrationStatus = decision?.status ?? 'Accepted';
    const interval = decision?.interval ?? (status === 'Accepted' ? config.heartbeatInterval : config.bootRetryInterval);
    await batcher.run(async (em) => {
      const cp = (await em.findOne(ChargePointSchema, { id: chargePointId })) ?? em.create(ChargePointSchema, { id: chargePointId });
      em.assign(cp, {
        vendor: request.chargePointVendor,
        model: request.chargePointModel,
        serialNumber: request.chargePointSerialNumber ?? null,
        chargeBoxSerialNumber: request.chargeBoxSerialNumber ?? null,
        firmwareVersion: request.firmwareVersion ?? null,
        iccid: request.iccid ?? null,
        imsi: request.imsi ?? null,
        meterType: request.meterType ?? null,
        meterSerialNumber: request.meterSerialNumber ?? null,
        registrationStatus: status,
        lastBootAt: receivedAt,
        lastSeenAt: receivedAt,
      });
      em.create(DeviceEventSchema, { chargePoint: chargePointId, kind: 'BootNotification', status, payload: request, receivedAt });
    });
    this.#deps.log.info({ chargePointId, status, interval }, 'boot notification');
    hooks.observe('onBootNotification', { chargePointId, request, status, receivedAt }, chargePointId);
    return { status, currentTime: this.#deps.clock.now().toISOString(), interval };
  }

  heartbeat(chargePointId: string, receivedAt: Date): { currentTime: string } {
    this.#note(chargePointId, { seenAt: receivedAt, heartbeatAt: receivedAt });
    return { currentTime: this.#deps.clock.now().toISOString() };
  }

  /** Any received PDU is a sign of life (J16 §5.3). */
  seen(chargePointId: string, at: Date): void {
    this.#note(chargePointId, { seenAt: at });
  }

  async statusNotification(chargePointId: string, request: StatusNotificationRequest, receivedAt: Date): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      await this.#upsertConnector(em, chargePointId, request);
      em.create(StatusEventSchema, {
        chargePoint: chargePointId,
        connectorId: request.connectorId,
        status: request.status,
        errorCode: request.errorCode,
        info: request.info ?? null,
        vendorId: request.vendorId ?? null,
        vendorErrorCode: request.vendorErrorCode ?? null,
        timestamp: parseTimestamp(request.timestamp),
        receivedAt,
      });
    });
    this.#deps.hooks.observe('onStatusNotification', { chargePointId, status: request, receivedAt }, chargePointId);
  }

  async diagnosticsStatus(chargePointId: string, request: DiagnosticsStatusNotificationRequest, receivedAt: Date): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      await em.nativeUpdate(ChargePointSchema, { id: chargePointId }, { diagnosticsStatus: request.status, diagnosticsStatusAt: receivedAt });
      em.create(DeviceEventSchema, { chargePoint: chargePointId, kind: 'DiagnosticsStatusNotification', status: request.status, payload: request, receivedAt });
    });
  }

  async firmwareStatus(chargePointId: string, request: FirmwareStatusNotificationRequest, receivedAt: Date): Promise<void> {
    await this.#deps.batcher.run(async (em) => {
      await em.nativeUpdate(ChargePointSchema, { id: chargePointId }, { firmwareStatus: request.status, firmwareStatusAt: receivedAt });
      em.create(DeviceEventSchema, { chargePoint: chargePointId, kind: 'FirmwareStatusNotification', status: request.status, payload: request, receivedAt });
    });
  }

  async recordDataTransfer(chargePointId: string, request: DataTransferRequest, response: DataTransferResponse, receivedAt: Date): Promise<void> {
    await this.#deps.batcher.run((em) => {
      em.create(DeviceEventSchema, {
        chargePoint: chargePointId,
        kind: 'DataTransfer',
        status: response.status,
        payload: { request, response },
        receivedAt,
      });
    });
  }

  async get(chargePointId: string): Promise<ChargePoint | null> {
    return this.#deps.orm.em.fork().findOne(ChargePointSchema, { id: chargePointId });
  }

  /** Starts the periodic liveness flush. */
  start(flushIntervalMs = 5_000): void {
    this.#flushTimer = setInterval(() => void this.flushLiveness(), flushIntervalMs);
    this.#flushTimer.unref();
  }

  /** Writes the liveness noted since the last flush (also called at close). */
  flushLiveness(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#liveness.size === 0) return;
      const entries = [...this.#liveness];
      this.#liveness.clear();
      try {
        // One UPDATE … WHERE id IN (…) per distinct second: 10,000 chargers cost a handful of
        // statements instead of 10,000 (which stalled the event loop on the synchronous SQLite driver).
        const groups = new Map<string, { seenAt: Date; heartbeatAt: Date | undefined; ids: string[] }>();
        for (const [id, { seenAt, heartbeatAt }] of entries) {
          const seen = floorToSecond(seenAt);
          const beat = heartbeatAt && floorToSecond(heartbeatAt);
          const key = `${seen.getTime()}|${beat?.getTime() ?? ''}`;
          const group = groups.get(key) ?? { seenAt: seen, heartbeatAt: beat, ids: [] };
          group.ids.push(id);
          groups.set(key, group);
        }
        await this.#deps.batcher.run(async (em) => {
          for (const { seenAt, heartbeatAt, ids } of groups.values()) {
            for (let i = 0; i < ids.length; i += 500) {
              await em.nativeUpdate(
                ChargePointSchema,
                { id: { $in: ids.slice(i, i + 500) } },
                heartbeatAt ? { lastSeenAt: seenAt, lastHeartbeatAt: heartbeatAt } : { lastSeenAt: seenAt },
              );
            }
          }
        });
      } catch (err) {
        this.#deps.log.error({ err, count: entries.length }, 'could not write charge point liveness; will retry');
        for (const [id, value] of entries) if (!this.#liveness.has(id)) this.#liveness.set(id, value);
      }
    });
    return this.#flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.#flushTimer);
    await this.flushLiveness();
  }

  #note(chargePointId: string, update: { seenAt: Date; heartbeatAt?: Date }): void {
    const current = this.#liveness.get(chargePointId);
    this.#liveness.set(chargePointId, { seenAt: update.seenAt, heartbeatAt: update.heartbeatAt ?? current?.heartbeatAt });
  }

  async #upsertConnector(em: EntityManager, chargePointId: string, request: StatusNotificationRequest): Promise<void> {
    const connector =
      (await em.findOne(ConnectorSchema, { chargePoint: chargePointId, connectorId: request.connectorId })) ??
      em.create(ConnectorSchema, { chargePoint: chargePointId, connectorId: request.connectorId });
    em.assign(connector, {
      status: request.status,
      errorCode: request.errorCode,
      info: request.info ?? null,
      vendorId: request.vendorId ?? null,
      vendorErrorCode: request.vendorErrorCode ?? null,
      statusTimestamp: parseTimestamp(request.timestamp),
    });
  }
}

/** Liveness is kept to the second: that is what lets one statement update many charge points. */
function floorToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** Parses an OCPP timestamp; null when missing or unparsable (never throws: data is not rejected). */
export function parseTimestamp(value: string | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
