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
import { isSqlite } from '../../persistence/dialect.js';
import { openSqliteReader, type SqliteReader } from '../../persistence/sqlite-reader.js';
import type { BatchWriter, WriteBatcher } from '../../persistence/write-batcher.js';

const CREDENTIALS_SQL = 'select id, security_profile, auth_key_hash, registration_status from charge_point where id';

interface CredentialRow {
  id: string;
  security_profile: unknown;
  auth_key_hash: string | null;
  registration_status: RegistrationStatus | null;
}

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
  /** Handshake lookups not yet sent to the database, by id (see lookup). */
  #lookups = new Map<string, Array<{ resolve: (c: ChargePointCredentials | null) => void; reject: (err: unknown) => void }>>();
  #lookupRunning = false;
  /** SQLite's read-only connection for lookups (null on MariaDB), opened at the first lookup. */
  #reader: Promise<SqliteReader | null> | undefined;
  /** The auto-registrations waiting for their (shared) batcher work. */
  #registering: RegistrationGroup | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(deps: ChargePointServiceDeps) {
    this.#deps = deps;
  }

  /**
   * The credentials the handshake needs, always read from the database (a key changed a moment ago
   * is seen at the next handshake), raw, without entity hydration.
   * - SQLite: through a read-only connection of its own (SqliteReader): a prepared primary-key
   *   lookup of a few microseconds that reads the last commit and does not wait for the write batch
   *   holding the ORM's connection.
   * - MariaDB: lookups that arrive together are answered by ONE query (`select … where id in (…)`),
   *   and only one such query runs at a time: the ids that arrive meanwhile go into the next one.
   */
  lookup(chargePointId: string): Promise<ChargePointCredentials | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.#lookups.get(chargePointId);
      if (waiting) waiting.push({ resolve, reject });
      else this.#lookups.set(chargePointId, [{ resolve, reject }]);
      if (!this.#lookupRunning) {
        this.#lookupRunning = true;
        setImmediate(() => void this.#runLookups());
      }
    });
  }

  async #runLookups(): Promise<void> {
    this.#reader ??= openSqliteReader(this.#deps.orm).catch((err: unknown) => {
      this.#deps.log.warn({ err }, 'cannot open a read-only SQLite connection for handshake lookups; they go through the ORM connection');
      return null;
    });
    while (this.#lookups.size > 0) {
      const batch = this.#lookups;
      this.#lookups = new Map();
      const ids = [...batch.keys()];
      let found: Map<string, ChargePointCredentials>;
      try {
        const reader = await this.#reader;
        const rows = reader ? ids.map((id) => reader.get<CredentialRow>(`${CREDENTIALS_SQL} = ?`, [id])).filter((row) => row !== undefined) : await this.#queryCredentials(ids);
        found = new Map();
        for (const row of rows) {
          found.set(row.id, {
            securityProfile: Number(row.security_profile ?? 0) as 0 | 1 | 2,
            authKeyHash: row.auth_key_hash ?? null,
            registrationStatus: row.registration_status ?? null,
          });
        }
      } catch (err) {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
        continue;
      }
      // Ids are exact: MariaDB's case-insensitive collation would otherwise admit "cp-1" as "CP-1"
      // (a second session for the same charge point, rows under another id); the map is keyed by
      // the stored id, so only an exact match is found.
      for (const [id, waiters] of batch) for (const w of waiters) w.resolve(found.get(id) ?? null);
    }
    this.#lookupRunning = false;
  }

  async #queryCredentials(ids: string[]): Promise<CredentialRow[]> {
    const conn = this.#deps.orm.em.fork().getConnection();
    const rows: CredentialRow[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const found = (await conn.execute(`${CREDENTIALS_SQL} in (${chunk.map(() => '?').join(', ')})`, chunk)) as CredentialRow[];
      rows.push(...found);
    }
    return rows;
  }

  /**
   * Registers an unknown charge point (auto-registration). Idempotent. The registrations that
   * arrive while one is waiting for the write batcher join it: one work per group, one query for
   * the ids already stored (or differing only in letter case), one multi-row INSERT.
   */
  register(chargePointId: string): Promise<void> {
    let group = this.#registering;
    if (!group) {
      const g: RegistrationGroup = { ids: new Set(), done: Promise.resolve(new Map<string, CsmsError | null>()) };
      g.done = this.#deps.batcher.run((em, rows) => {
        // Closed when its work starts: later ids form the next group (a retry sees the same ids).
        if (this.#registering === g) this.#registering = undefined;
        return this.#registerAll(em, rows, [...g.ids]);
      });
      this.#registering = group = g;
    }
    group.ids.add(chargePointId);
    return group.done.then((outcomes) => {
      const refusal = outcomes.get(chargePointId);
      if (refusal) throw refusal;
      this.#deps.log.info({ chargePointId }, 'charge point auto-registered');
    });
  }

  async #registerAll(em: EntityManager, rows: BatchWriter, ids: string[]): Promise<Map<string, CsmsError | null>> {
    const outcomes = new Map<string, CsmsError | null>();
    const stored: string[] = [];
    const conn = em.getConnection();
    const sqlite = isSqlite(em);
    const ctx: unknown = em.getTransactionContext(); // MikroORM types it any
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      // Both databases refuse an id that differs from a stored one only in letter case: MariaDB's
      // collation compares case-insensitively (the primary key serves `in`); on SQLite the
      // comparison is made NOCASE, served by charge_point_id_nocase_idx.
      const sql = sqlite
        ? `select id from charge_point where id collate nocase in (${chunk.map(() => '?').join(', ')})`
        : `select id from charge_point where id in (${chunk.map(() => '?').join(', ')})`;
      const found = (await conn.execute(sql, chunk, 'all', ctx)) as Array<{ id: string }>;
      for (const row of found) stored.push(row.id);
    }
    const byLower = new Map(stored.map((id) => [id.toLowerCase(), id]));
    const now = this.#deps.clock.now();
    for (const id of ids) {
      const existing = byLower.get(id.toLowerCase());
      if (existing === id) {
        outcomes.set(id, null);
      } else if (existing !== undefined) {
        outcomes.set(
          id,
          new CsmsError(
            CsmsErrorCode.CHARGE_POINT_UNKNOWN,
            `charge point id "${id}" differs only in letter case from the registered "${existing}"; ` +
              'ids are case-sensitive: configure the charger with the registered id',
            { details: { chargePointId: id, registered: existing } },
          ),
        );
      } else {
        rows.insert(ChargePointSchema, { id, securityProfile: 0, createdAt: now, updatedAt: now });
        byLower.set(id.toLowerCase(), id);
        outcomes.set(id, null);
      }
    }
    return outcomes;
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
    // No read and no managed entity: one upsert row and one event row, written with the other
    // Boots and StatusNotifications of the batch as multi-row statements (reconnect storms).
    const now = this.#deps.clock.now();
    await batcher.run((_em, rows) => {
      rows.upsert(
        ChargePointSchema,
        {
          id: chargePointId,
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
          securityProfile: 0,
          createdAt: now,
          updatedAt: now,
        },
        { conflict: ['id'], update: BOOT_FIELDS },
      );
      rows.insert(DeviceEventSchema, { chargePoint: chargePointId, kind: 'BootNotification', status, payload: request, receivedAt });
    });
    this.#deps.log.info({ chargePointId, status, interval }, 'boot notification');
    hooks.observe('onBootNotification', { chargePointId, request, status, receivedAt }, chargePointId);
    return { status, currentTime: this.#deps.clock.now().toISOString(), interval };
  }

  heartbeat(chargePointId: string, receivedAt: Date): { currentTime: string } {
    this.#note(chargePointId, receivedAt, receivedAt);
    return { currentTime: this.#deps.clock.now().toISOString() };
  }

  /** Any received PDU is a sign of life (J16 §5.3). */
  seen(chargePointId: string, at: Date): void {
    this.#note(chargePointId, at);
  }

  async statusNotification(chargePointId: string, request: StatusNotificationRequest, receivedAt: Date): Promise<void> {
    const now = this.#deps.clock.now();
    await this.#deps.batcher.run((_em, rows) => {
      rows.upsert(
        ConnectorSchema,
        {
          chargePoint: chargePointId,
          connectorId: request.connectorId,
          status: request.status,
          errorCode: request.errorCode,
          info: request.info ?? null,
          vendorId: request.vendorId ?? null,
          vendorErrorCode: request.vendorErrorCode ?? null,
          statusTimestamp: parseTimestamp(request.timestamp),
          updatedAt: now,
        },
        { conflict: ['chargePoint', 'connectorId'], update: CONNECTOR_STATUS_FIELDS },
      );
      rows.insert(StatusEventSchema, {
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
    const reader = await this.#reader?.catch(() => null);
    reader?.close();
  }

  #note(chargePointId: string, seenAt: Date, heartbeatAt?: Date): void {
    // Changed in place: an entry in the map is never one a flush is writing (it takes the entries
    // out of the map first), and this runs for every message of every charger.
    const current = this.#liveness.get(chargePointId);
    if (!current) {
      this.#liveness.set(chargePointId, { seenAt, heartbeatAt });
      return;
    }
    current.seenAt = seenAt;
    if (heartbeatAt) current.heartbeatAt = heartbeatAt;
  }

}

interface RegistrationGroup {
  ids: Set<string>;
  /** Per id: null = registered (or already was), else why it was refused. */
  done: Promise<Map<string, CsmsError | null>>;
}

/** What a Boot overwrites on an existing charge point row. */
const BOOT_FIELDS = [
  'vendor', 'model', 'serialNumber', 'chargeBoxSerialNumber', 'firmwareVersion', 'iccid', 'imsi', 'meterType', 'meterSerialNumber',
  'registrationStatus', 'lastBootAt', 'lastSeenAt', 'updatedAt',
] as const;

/** What a StatusNotification overwrites on an existing connector row. */
const CONNECTOR_STATUS_FIELDS = ['status', 'errorCode', 'info', 'vendorId', 'vendorErrorCode', 'statusTimestamp', 'updatedAt'] as const;

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
