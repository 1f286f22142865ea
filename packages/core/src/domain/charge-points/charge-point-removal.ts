import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { Sessions } from '../../ocpp/sessions.js';
import {
  AuditLogSchema,
  ChargePointSchema,
  ChargingProfileSchema,
  ConnectorSchema,
  DeviceEventSchema,
  LocalAuthListSchema,
  MeterSampleInboxSchema,
  MeterSampleSchema,
  OrphanMessageSchema,
  ReservationSchema,
  StatusEventSchema,
  TransactionSchema,
} from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

export interface ChargePointRemovalDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  sessions: Sessions;
  clock: Clock;
  log: Logger;
  /** Told after the delete committed (the live state forgets the charge point). */
  onRemoved?: (chargePointId: string) => void;
}

export interface RemovedChargePoint {
  id: string;
  /** Rows deleted with it, by table. */
  deleted: Record<string, number>;
}

/**
 * Deletes a charge point and what belongs to it (connectors, status and device events, local list
 * state, stored charging profiles, reservations, orphan messages), audited `DeleteChargePoint`.
 * Refused (CONFLICT, with the reason in the message and `details.reason`) while it is connected,
 * while it has an Active transaction, and — unless `withHistory` — while it has transactions
 * (its billing history; `withHistory: true` deletes them and their meter samples too).
 */
export class ChargePointRemoval {
  readonly #deps: ChargePointRemovalDeps;

  constructor(deps: ChargePointRemovalDeps) {
    this.#deps = deps;
  }

  async remove(chargePointId: string, options: { actor: string; withHistory?: boolean }): Promise<RemovedChargePoint> {
    const conflict = (reason: string, message: string, details: Record<string, unknown> = {}) =>
      new CsmsError(CsmsErrorCode.CONFLICT, message, { details: { chargePointId, reason, ...details } });
    const session = this.#deps.sessions.get(chargePointId);
    if (session) {
      throw conflict(
        'connected',
        `charge point ${chargePointId} is connected (since ${session.connectedAt.toISOString()}); disconnect it first (switch it off, or change its server URL), then delete it`,
      );
    }
    const deleted = await this.#deps.batcher.run(async (em) => {
      if (!(await em.findOne(ChargePointSchema, { id: chargePointId }))) {
        throw new CsmsError(CsmsErrorCode.CHARGE_POINT_UNKNOWN, `charge point ${chargePointId} not found`, { details: { chargePointId } });
      }
      const open = await em.find(TransactionSchema, { chargePoint: chargePointId, status: 'Active' }, { fields: ['id'], limit: 20 });
      if (open.length > 0) {
        throw conflict(
          'open-transactions',
          `charge point ${chargePointId} has open transactions (${open.map((t) => t.id).join(', ')}); close them first (POST /transactions/{id}/close), then delete it`,
          { transactionIds: open.map((t) => t.id) },
        );
      }
      const history = await em.count(TransactionSchema, { chargePoint: chargePointId });
      if (history > 0 && !options.withHistory) {
        throw conflict(
          'has-history',
          `charge point ${chargePointId} has ${history} completed transactions (billing history); pass withHistory=true to delete them with it`,
          { transactions: history },
        );
      }
      const where = { chargePoint: chargePointId };
      const counts: Record<string, number> = {};
      // Samples not yet moved from the inbox (SQLite), then the stored ones by transaction
      // (meter_sample_tx_measurand_ts_idx): the hot table has no charge point index.
      counts.meter_sample = await em.nativeDelete(MeterSampleInboxSchema, { chargePoint: chargePointId });
      counts.meter_sample += await em.nativeDelete(MeterSampleSchema, { transaction: null, chargePoint: chargePointId });
      const transactionIds = (await em.find(TransactionSchema, where, { fields: ['id'] })).map((t) => t.id);
      for (let i = 0; i < transactionIds.length; i += 500) {
        counts.meter_sample += await em.nativeDelete(MeterSampleSchema, { transaction: { $in: transactionIds.slice(i, i + 500) } });
      }
      counts.charge_transaction = await em.nativeDelete(TransactionSchema, where);
      counts.status_event = await em.nativeDelete(StatusEventSchema, where);
      counts.device_event = await em.nativeDelete(DeviceEventSchema, where);
      counts.orphan_message = await em.nativeDelete(OrphanMessageSchema, where);
      counts.reservation = await em.nativeDelete(ReservationSchema, where);
      counts.charging_profile = await em.nativeDelete(ChargingProfileSchema, where);
      counts.connector = await em.nativeDelete(ConnectorSchema, where);
      counts.local_auth_list = await em.nativeDelete(LocalAuthListSchema, where);
      await em.nativeDelete(ChargePointSchema, { id: chargePointId });
      em.create(AuditLogSchema, {
        at: this.#deps.clock.now(),
        actor: options.actor,
        action: 'DeleteChargePoint',
        chargePoint: chargePointId,
        request: { withHistory: options.withHistory ?? false },
        result: counts,
        outcome: 'ok',
      });
      return counts;
    });
    this.#deps.log.warn({ chargePointId, actor: options.actor, deleted }, 'charge point deleted');
    this.#deps.onRemoved?.(chargePointId);
    return { id: chargePointId, deleted };
  }
}
