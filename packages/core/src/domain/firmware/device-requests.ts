/**
 * What firmware updates and diagnostics share: the charge point lookup (404 when unknown), the
 * device_event history of the status notifications, and the request log (a request is written
 * 'Sending' before it is sent and settled with its outcome), plus the file routes' path and the
 * event kinds.
 */
import type { MikroORM } from '@mikro-orm/core';
import { CsmsError, CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { ChargePointSchema, DeviceEventSchema } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';

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

export type Time = Date | string;

export class DeviceRequests {
  readonly #deps: { orm: MikroORM; batcher: WriteBatcher; log: Logger };

  constructor(deps: { orm: MikroORM; batcher: WriteBatcher; log: Logger }) {
    this.#deps = deps;
  }

  async chargePoint(chargePointId: string) {
    const cp = await this.#deps.orm.em.fork().findOne(ChargePointSchema, { id: chargePointId });
    if (!cp || cp.id !== chargePointId) {
      throw new CsmsError(CsmsErrorCode.NOT_FOUND, `charge point ${chargePointId} is not registered`, { details: { chargePointId } });
    }
    return cp;
  }

  async notifications(chargePointId: string, kind: string, sinceId: number): Promise<Array<{ status: string; at: Date }>> {
    const rows = await this.#deps.orm.em
      .fork()
      .find(DeviceEventSchema, { chargePoint: chargePointId, kind, id: { $gt: sinceId } }, { orderBy: { id: 'asc' }, limit: 100 });
    return rows.map((r) => ({ status: r.status ?? '', at: r.receivedAt }));
  }

  /**
   * The request is written before it is sent (status 'Sending'), so the notifications it causes
   * always come after it in the device_event history (higher id), however fast the charger is.
   */
  async recordRequest(chargePointId: string, kind: string, payload: unknown, requestedAt: Date): Promise<number> {
    return this.#deps.batcher.run(async (em) => {
      const event = em.create(DeviceEventSchema, { chargePoint: chargePointId, kind, status: 'Sending', payload, receivedAt: requestedAt });
      await em.flush();
      return event.id;
    });
  }

  async settleRequest(eventId: number, status: string, payload: unknown): Promise<void> {
    try {
      await this.#deps.batcher.run(async (em) => {
        await em.nativeUpdate(DeviceEventSchema, { id: eventId }, { status, payload });
      });
    } catch (err) {
      this.#deps.log.error({ err, eventId, status }, 'could not record the outcome of a device request');
    }
  }
}

export function optionalIso(value: Time | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `${field} ${JSON.stringify(value)} is not a date; use ISO 8601, e.g. 2026-05-01T10:00:00Z`, {
      details: { fields: { [field]: 'not a date' } },
    });
  }
  return date.toISOString();
}

export function failureOutcome(err: unknown): string {
  return isCsmsError(err) ? err.code : 'Error';
}
