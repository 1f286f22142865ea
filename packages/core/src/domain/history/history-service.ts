import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { AuditLogSchema, ChargePointSchema, MeterSampleSchema, TransactionSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

/**
 * One completed charging session from before Charge-IT (a CSV export of the previous system) or
 * made up for a demo (the ML plugin's synthetic generator).
 */
export interface HistoricalSessionInput {
  chargePointId: string;
  connectorId: number;
  /** Who charged; null/empty when the export has no user column (stored as `UNKNOWN`). */
  idTag?: string | null;
  startedAt: Date;
  stoppedAt: Date;
  energyWh: number;
  /** When the car stopped drawing power (the rest until `stoppedAt` was idle); optional. */
  chargingEndedAt?: Date | null;
  /** Highest power seen during the session (W); optional. */
  maxPowerW?: number | null;
  stopReason?: string | null;
  /** Extra transaction flags (e.g. 'synthetic-anomaly'). */
  flags?: readonly string[];
}

export interface HistoryImportOptions {
  /** `imported` (real history from another system) or `synthetic` (demo data); becomes a transaction flag. */
  source: 'imported' | 'synthetic';
  /** Audit-log actor, e.g. `cli:import` or `api:admin`. */
  actor: string;
  /** Rating and description of charge points this history creates (unknown ids are created). */
  chargePoints?: readonly { id: string; maxPowerKw?: number | null; description?: string | null }[];
  /** Called after each batch with the number of sessions handled so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface HistoryImportResult {
  created: number;
  /** Sessions already in the database (same charge point, connector, idTag and start): re-import does nothing. */
  duplicates: number;
  /** Sessions refused, by their index in the input. */
  errors: { index: number; message: string }[];
  chargePointsCreated: string[];
}

export interface HistoryServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  clock: Clock;
  log: Logger;
}

/** The flags that mark history that did not come from a charger. */
export const HISTORY_FLAGS = { imported: 'imported', synthetic: 'synthetic' } as const;
export const UNKNOWN_ID_TAG = 'UNKNOWN';
const BATCH = 500;
const CHARGE_POINT_ID = /^[A-Za-z0-9._:*+|@-]{1,48}$/;

function check(s: HistoricalSessionInput): string | null {
  if (typeof s.chargePointId !== 'string' || !CHARGE_POINT_ID.test(s.chargePointId)) return `charge point id "${s.chargePointId}" is not valid (1-48 characters: letters, digits, . _ - : * + | @)`;
  if (!Number.isInteger(s.connectorId) || s.connectorId < 1) return `connector ${s.connectorId} is not a positive whole number`;
  if (!(s.startedAt instanceof Date) || Number.isNaN(s.startedAt.getTime())) return 'the start time is missing or not a date';
  if (!(s.stoppedAt instanceof Date) || Number.isNaN(s.stoppedAt.getTime())) return 'the end time is missing or not a date';
  if (s.stoppedAt.getTime() < s.startedAt.getTime()) return `the session ends (${s.stoppedAt.toISOString()}) before it starts (${s.startedAt.toISOString()})`;
  if (!Number.isFinite(s.energyWh) || s.energyWh < 0) return `energy ${s.energyWh} Wh is not a non-negative number`;
  if (s.energyWh > 2_000_000) return `energy ${s.energyWh} Wh is implausible for one session (over 2 MWh)`;
  if (s.idTag && s.idTag.length > 20) return `idTag "${s.idTag}" is longer than the 20 characters OCPP allows`;
  if (s.chargingEndedAt && (s.chargingEndedAt < s.startedAt || s.chargingEndedAt > s.stoppedAt)) return 'charging ended outside the session';
  return null;
}

/**
 * Writes completed historical sessions (imported from another system, or synthetic demo data) as
 * Completed transactions flagged `imported` / `synthetic`, with a few meter samples (energy register
 * at start, end of charging and stop; peak power) so that read models treat them like recorded
 * sessions. Idempotent: a session already stored (same charge point, connector, idTag and start) is
 * counted as a duplicate and not written again. No observe hooks fire (this is history, not events).
 *
 * Imported transactions have no register readings of the real meter: `meterStart` is 0 and
 * `meterStop` null (the energy is in `energyWh`), so the register-reset check of the next live
 * session never compares against them. Unknown charge points are created (not connected, no key).
 */
export class HistoryService {
  readonly #deps: HistoryServiceDeps;

  constructor(deps: HistoryServiceDeps) {
    this.#deps = deps;
  }

  async importSessions(sessions: readonly HistoricalSessionInput[], options: HistoryImportOptions): Promise<HistoryImportResult> {
    if (options.source !== 'imported' && options.source !== 'synthetic') {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `history source must be "imported" or "synthetic", not "${String(options.source)}"`);
    }
    const result: HistoryImportResult = { created: 0, duplicates: 0, errors: [], chargePointsCreated: [] };
    const valid: { index: number; s: HistoricalSessionInput }[] = [];
    sessions.forEach((s, index) => {
      const problem = check(s);
      if (problem) result.errors.push({ index, message: problem });
      else valid.push({ index, s });
    });
    const receivedAt = this.#deps.clock.now();
    for (let i = 0; i < valid.length; i += BATCH) {
      const chunk = valid.slice(i, i + BATCH);
      const { created, duplicates, newChargePoints } = await this.#deps.batcher.run(async (em, batch) => {
        const newCps: string[] = [];
        const cpIds = [...new Set(chunk.map((c) => c.s.chargePointId))];
        const known = new Set((await em.find(ChargePointSchema, { id: { $in: cpIds } })).map((cp) => cp.id));
        for (const id of cpIds) {
          if (!known.has(id)) {
            const spec = options.chargePoints?.find((cp) => cp.id === id);
            em.create(ChargePointSchema, {
              id,
              securityProfile: 0,
              maxPowerKw: spec?.maxPowerKw ?? null,
              description: (spec?.description ?? `created by the ${options.source} history`).slice(0, 255),
            });
            newCps.push(id);
          }
        }
        const times = chunk.map((c) => c.s.startedAt);
        const existing = await em.find(
          TransactionSchema,
          { chargePoint: { $in: cpIds }, startTimestamp: { $gte: new Date(Math.min(...times.map(Number))), $lte: new Date(Math.max(...times.map(Number))) } },
          { fields: ['chargePoint', 'connectorId', 'idTag', 'startTimestamp', 'meterStart'] },
        );
        const keyOf = (cp: string, connector: number, idTag: string, start: Date) => `${cp}|${connector}|${idTag.toLowerCase()}|${start.getTime()}`;
        const seen = new Set(existing.filter((t) => Number(t.meterStart) === 0).map((t) => keyOf(t.chargePoint as unknown as string, t.connectorId, t.idTag, t.startTimestamp)));
        const made: { tx: { id: number }; s: HistoricalSessionInput }[] = [];
        let dup = 0;
        for (const { s } of chunk) {
          const idTag = s.idTag?.trim() || UNKNOWN_ID_TAG;
          const key = keyOf(s.chargePointId, s.connectorId, idTag, s.startedAt);
          if (seen.has(key)) {
            dup++;
            continue;
          }
          seen.add(key);
          const tx = em.create(TransactionSchema, {
            chargePoint: s.chargePointId,
            connectorId: s.connectorId,
            idTag,
            idTagStatus: 'Accepted',
            parentIdTag: null,
            reservationId: null,
            meterStart: 0,
            startTimestamp: s.startedAt,
            startReceivedAt: receivedAt,
            meterStop: null,
            stopTimestamp: s.stoppedAt,
            stopReceivedAt: receivedAt,
            stopReason: (s.stopReason ?? (options.source === 'synthetic' ? 'Synthetic' : 'Imported')).slice(0, 32),
            stopIdTag: null,
            energyWh: Math.round(s.energyWh),
            cost: null,
            // Idle time after charging, where the read models look for it; no cost is computed for history.
            // (the tariff's breakdown fields `chargingEndedAt` and `idleMs`).
            costBreakdown: s.chargingEndedAt
              ? { chargingEndedAt: s.chargingEndedAt.toISOString(), idleMs: s.stoppedAt.getTime() - s.chargingEndedAt.getTime(), history: options.source }
              : null,
            flags: [options.source, ...(s.flags ?? []).filter((f) => f !== options.source)],
            status: 'Completed',
          });
          made.push({ tx: tx as unknown as { id: number }, s });
        }
        if (made.length > 0) await em.flush();
        for (const { tx, s } of made) {
          const base = { transaction: tx.id, chargePoint: s.chargePointId, connectorId: s.connectorId, receivedAt, location: 'Outlet', phase: null, rawValue: null, format: null, flags: [options.source] };
          const energy = Math.round(s.energyWh);
          const end = s.chargingEndedAt ?? s.stoppedAt;
          batch.insert(MeterSampleSchema, { ...base, timestamp: s.startedAt, measurand: 'Energy.Active.Import.Register', context: 'Transaction.Begin', unit: 'Wh', value: 0 });
          if (s.maxPowerW != null && s.maxPowerW >= 0) {
            const mid = new Date(s.startedAt.getTime() + Math.max(1000, (end.getTime() - s.startedAt.getTime()) / 2));
            batch.insert(MeterSampleSchema, { ...base, timestamp: mid, measurand: 'Power.Active.Import', context: 'Sample.Periodic', unit: 'W', value: Math.round(s.maxPowerW) });
          }
          if (end.getTime() < s.stoppedAt.getTime()) {
            batch.insert(MeterSampleSchema, { ...base, timestamp: end, measurand: 'Energy.Active.Import.Register', context: 'Sample.Periodic', unit: 'Wh', value: energy });
            batch.insert(MeterSampleSchema, { ...base, timestamp: end, measurand: 'Power.Active.Import', context: 'Sample.Periodic', unit: 'W', value: 0 });
          }
          batch.insert(MeterSampleSchema, { ...base, timestamp: s.stoppedAt, measurand: 'Energy.Active.Import.Register', context: 'Transaction.End', unit: 'Wh', value: energy });
        }
        return { created: made.length, duplicates: dup, newChargePoints: newCps };
      });
      result.created += created;
      result.duplicates += duplicates;
      result.chargePointsCreated.push(...newChargePoints);
      options.onProgress?.(Math.min(valid.length, i + BATCH), valid.length);
    }
    if (result.created > 0 || result.chargePointsCreated.length > 0) {
      await this.#deps.batcher.run((em) => {
        em.create(AuditLogSchema, {
          at: this.#deps.clock.now(),
          actor: options.actor.slice(0, 64),
          action: options.source === 'synthetic' ? 'WriteSyntheticHistory' : 'ImportHistory',
          chargePoint: null,
          request: { sessions: sessions.length },
          result: { created: result.created, duplicates: result.duplicates, errors: result.errors.length, chargePointsCreated: result.chargePointsCreated },
          outcome: result.errors.length ? 'partial' : 'ok',
        });
      });
    }
    this.#deps.log.info({ source: options.source, created: result.created, duplicates: result.duplicates, errors: result.errors.length }, 'historical sessions written');
    return result;
  }
}
