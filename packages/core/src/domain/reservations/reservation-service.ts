import type { MikroORM } from '@mikro-orm/core';
import type { Clock } from '../../clock.js';
import { CsmsError, CsmsErrorCode, isCsmsError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { CommandService } from '../../ocpp/commands.js';
import type { Sessions } from '../../ocpp/sessions.js';
import { AuditLogSchema, ChargePointSchema, ReservationSchema, type Reservation } from '../../persistence/entities/index.js';
import type { WriteBatcher } from '../../persistence/write-batcher.js';
import type { AuthorizationService } from '../authorization/authorization-service.js';

/**
 * Lifecycle of a reservation row:
 * - `Pending` while ReserveNow is in flight;
 * - the charge point's answer: `Accepted`, or a refusal `Faulted` | `Occupied` | `Rejected` | `Unavailable` (final);
 * - `Failed` when ReserveNow got no answer (timeout, CALLERROR, disconnected; the charge point may
 *   still hold it after a timeout, so it can be cancelled);
 * - from Accepted: `Used` (a StartTransaction carried its id), `Cancelled`, `Expired`.
 */
export type ReservationStatus =
  | 'Pending'
  | 'Accepted'
  | 'Faulted'
  | 'Occupied'
  | 'Rejected'
  | 'Unavailable'
  | 'Failed'
  | 'Cancelled'
  | 'Used'
  | 'Expired';

export const RESERVATION_STATUSES: readonly ReservationStatus[] = [
  'Pending',
  'Accepted',
  'Faulted',
  'Occupied',
  'Rejected',
  'Unavailable',
  'Failed',
  'Cancelled',
  'Used',
  'Expired',
];

/** Reservations that may still be held by the charge point (cancellable). */
const CANCELLABLE: readonly ReservationStatus[] = ['Pending', 'Accepted', 'Failed'];
/** Reservations the expiry timer watches. */
const OPEN: readonly ReservationStatus[] = ['Pending', 'Accepted'];

export interface ReserveInput {
  chargePointId: string;
  /** 0 reserves the charge point as a whole (any connector; the charger must support it). */
  connectorId: number;
  idTag: string;
  /** Date or ISO 8601 string; must be in the future. */
  expiryDate: Date | string;
  /** Default: the idTag's parent from the IdTag table, so the charger also admits its group (TC_053). */
  parentIdTag?: string | null;
  /** Who asked (audit log), e.g. 'api:ops'. */
  actor?: string;
}

export interface ReservationListQuery {
  chargePointId?: string;
  status?: ReservationStatus | readonly ReservationStatus[];
  /** Default 100, at most 1000. Newest first. */
  limit?: number;
  offset?: number;
}

export interface CancelResult {
  /** The charge point's answer to CancelReservation. */
  status: 'Accepted' | 'Rejected';
  reservation: Reservation;
}

export interface ReservationServiceDeps {
  orm: MikroORM;
  batcher: WriteBatcher;
  commands: CommandService;
  sessions: Sessions;
  authorization: Pick<AuthorizationService, 'lookup'>;
  clock: Clock;
  log: Logger;
}

/** The expiry timer never sleeps longer than this, so that a changed clock is noticed. */
const MAX_TIMER_MS = 3_600_000;

/**
 * ReserveNow / CancelReservation with the Reservation table as the record (its id is the OCPP
 * reservationId), and expiry: a single unref'd timer set to the earliest open expiry, re-armed
 * from the table at start. Use by a StartTransaction carrying the reservationId is recorded by the
 * TransactionService (status Used, transactionId linked).
 */
export class ReservationService {
  readonly #deps: ReservationServiceDeps;
  #timer: NodeJS.Timeout | undefined;
  #timerDue: number | undefined;
  #sweep: Promise<void> | undefined;
  #closed = false;

  constructor(deps: ReservationServiceDeps) {
    this.#deps = deps;
  }

  /** Arms the expiry timer for the reservations already open (call once at boot). */
  async start(): Promise<void> {
    await this.expireNow();
    await this.#rearm();
  }

  /** Stops the timer and waits for a sweep that is running. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sweep;
  }

  /**
   * Creates the reservation row, sends ReserveNow and stores the answer. A refusal (Faulted,
   * Occupied, Rejected, Unavailable) is the row's status and is returned, not thrown. Throws
   * INPUT_INVALID (bad input), CHARGE_POINT_UNKNOWN, CHARGE_POINT_OFFLINE (no row is created), and
   * the command errors (CALL_TIMEOUT, CALL_ERROR, ...; the row is then `Failed`).
   */
  async reserve(input: ReserveInput): Promise<Reservation> {
    const { batcher, commands, sessions } = this.#deps;
    const actor = input.actor ?? 'system';
    const expiryDate = this.#checkReserveInput(input);
    const { chargePointId, connectorId } = input;

    const cp = await this.#deps.orm.em.fork().findOne(ChargePointSchema, { id: chargePointId });
    if (!cp || cp.id !== chargePointId) {
      throw new CsmsError(CsmsErrorCode.CHARGE_POINT_UNKNOWN, `charge point ${chargePointId} is not registered; register it before reserving one of its connectors`, {
        details: { chargePointId },
      });
    }
    if (!sessions.get(chargePointId)) {
      // No row for a call that cannot be made; the attempt is audited like any command.
      const message = `charge point ${chargePointId} is not connected; a reservation needs the charge point online — retry when it is connected`;
      await this.#audit(chargePointId, actor, 'ReserveNow', { connectorId, idTag: input.idTag, expiryDate: expiryDate.toISOString() }, { error: message }, 'offline');
      throw new CsmsError(CsmsErrorCode.CHARGE_POINT_OFFLINE, message, { details: { chargePointId, action: 'ReserveNow' } });
    }

    const parentIdTag = input.parentIdTag !== undefined ? input.parentIdTag : ((await this.#deps.authorization.lookup(input.idTag)).parentIdTag ?? null);
    const created = await batcher.run(async (em) => {
      const row = em.create(ReservationSchema, {
        chargePoint: chargePointId,
        connectorId,
        idTag: input.idTag,
        parentIdTag,
        expiryDate,
        status: 'Pending',
        transactionId: null,
      });
      await em.flush();
      return row.id;
    });

    let answer: 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable';
    try {
      ({ status: answer } = await commands.send(
        chargePointId,
        'ReserveNow',
        {
          connectorId,
          expiryDate: expiryDate.toISOString(),
          idTag: input.idTag,
          ...(parentIdTag ? { parentIdTag } : {}),
          reservationId: created,
        },
        { actor },
      ));
    } catch (err) {
      await this.#setStatus(created, ['Pending'], 'Failed');
      if (!isCsmsError(err)) throw err;
      throw new CsmsError(err.code, `${err.message} (reservation ${created} marked Failed)`, { cause: err, details: { ...err.details, reservationId: created } });
    }
    const reservation = await this.#setStatus(created, ['Pending'], answer);
    this.#deps.log.info({ chargePointId, connectorId, reservationId: created, status: answer, actor }, 'reservation answered');
    if (reservation.status === 'Accepted') this.#armAt(reservation.expiryDate);
    return reservation;
  }

  /**
   * Sends CancelReservation. Accepted → the row is Cancelled; Rejected → it stays as it was.
   * Throws NOT_FOUND (unknown id, or not on `options.chargePointId`), CONFLICT (already Used,
   * Expired, Cancelled or refused), and the command errors (CHARGE_POINT_OFFLINE, ...).
   */
  async cancel(reservationId: number, actor = 'system', options: { chargePointId?: string } = {}): Promise<CancelResult> {
    const existing = await this.get(reservationId, options);
    if (!existing) {
      throw new CsmsError(
        CsmsErrorCode.NOT_FOUND,
        `reservation ${reservationId} not found${options.chargePointId === undefined ? '' : ` on charge point ${options.chargePointId}`}; list reservations to find its id`,
        { details: { reservationId, ...(options.chargePointId === undefined ? {} : { chargePointId: options.chargePointId }) } },
      );
    }
    if (!CANCELLABLE.includes(existing.status as ReservationStatus)) {
      throw new CsmsError(
        CsmsErrorCode.CONFLICT,
        `reservation ${reservationId} is ${existing.status}; only a Pending, Accepted or Failed reservation can be cancelled`,
        { details: { reservationId, status: existing.status } },
      );
    }
    const { status } = await this.#deps.commands.send(existing.chargePoint, 'CancelReservation', { reservationId }, { actor });
    const reservation = status === 'Accepted' ? await this.#setStatus(reservationId, CANCELLABLE, 'Cancelled') : ((await this.get(reservationId)) ?? existing);
    this.#deps.log.info({ chargePointId: existing.chargePoint, reservationId, status, actor }, 'reservation cancel answered');
    return { status, reservation };
  }

  /** One reservation (a plain object), or null; `chargePointId` scopes the lookup. */
  async get(reservationId: number, options: { chargePointId?: string } = {}): Promise<Reservation | null> {
    if (!Number.isInteger(reservationId)) return null;
    const where = options.chargePointId === undefined ? { id: reservationId } : { id: reservationId, chargePoint: options.chargePointId };
    const row = await this.#deps.orm.em.fork().findOne(ReservationSchema, where);
    return row ? { ...row } : null;
  }

  /** Reservations, newest first. */
  async list(query: ReservationListQuery = {}): Promise<Reservation[]> {
    const where: Record<string, unknown> = {};
    if (query.chargePointId !== undefined) where.chargePoint = query.chargePointId;
    if (query.status !== undefined) where.status = typeof query.status === 'string' ? query.status : { $in: [...query.status] };
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), 1000);
    const offset = Math.max(0, Math.trunc(query.offset ?? 0));
    const rows = await this.#deps.orm.em.fork().find(ReservationSchema, where, { orderBy: { id: 'desc' }, limit, offset });
    return rows.map((r) => ({ ...r }));
  }

  /**
   * Marks every Pending or Accepted reservation whose expiryDate is not after the clock's now as
   * Expired, and returns them. The timer calls it; tests with an injected clock call it directly.
   * Nothing is sent: the charge point expires its own reservations (S16 §5.13).
   */
  async expireNow(): Promise<Reservation[]> {
    const now = this.#deps.clock.now();
    const expired = await this.#deps.batcher.run(async (em) => {
      const rows = await em.find(ReservationSchema, { status: { $in: [...OPEN] }, expiryDate: { $lte: now } });
      for (const row of rows) row.status = 'Expired';
      return rows.map((r) => ({ ...r }));
    });
    for (const r of expired) this.#deps.log.info({ chargePointId: r.chargePoint, reservationId: r.id, expiryDate: r.expiryDate }, 'reservation expired');
    return expired;
  }

  #checkReserveInput(input: ReserveInput): Date {
    const problems: Record<string, string> = {};
    if (typeof input.chargePointId !== 'string' || input.chargePointId.length === 0) problems.chargePointId = 'must be a charge point id';
    if (!(Number.isInteger(input.connectorId) && input.connectorId >= 0)) problems.connectorId = 'must be a whole number ≥ 0 (0 = the whole charge point)';
    if (typeof input.idTag !== 'string' || input.idTag.length === 0 || input.idTag.length > 20) problems.idTag = 'must be 1 to 20 characters';
    if (input.parentIdTag != null && (typeof input.parentIdTag !== 'string' || input.parentIdTag.length === 0 || input.parentIdTag.length > 20)) {
      problems.parentIdTag = 'must be 1 to 20 characters, or null';
    }
    const expiryDate = input.expiryDate instanceof Date ? input.expiryDate : typeof input.expiryDate === 'string' ? new Date(input.expiryDate) : new Date(NaN);
    if (Number.isNaN(expiryDate.getTime())) problems.expiryDate = 'must be a date (ISO 8601)';
    else if (expiryDate.getTime() <= this.#deps.clock.now().getTime()) problems.expiryDate = 'must be in the future';
    if (Object.keys(problems).length > 0) {
      throw new CsmsError(CsmsErrorCode.INPUT_INVALID, `invalid reservation: ${Object.entries(problems).map(([f, p]) => `${f} ${p}`).join('; ')}`, {
        details: { fields: problems },
      });
    }
    return expiryDate;
  }

  /**
   * Sets the status only while the row is still in one of `from`: a StartTransaction that used
   * the reservation, or the expiry, may have moved it on while the call was in flight.
   */
  async #setStatus(reservationId: number, from: readonly ReservationStatus[], to: ReservationStatus): Promise<Reservation> {
    return this.#deps.batcher.run(async (em) => {
      const row = await em.findOneOrFail(ReservationSchema, { id: reservationId });
      if (from.includes(row.status as ReservationStatus)) row.status = to;
      return { ...row };
    });
  }

  async #audit(chargePointId: string, actor: string, action: string, request: unknown, result: unknown, outcome: string): Promise<void> {
    try {
      await this.#deps.batcher.run((em) => {
        em.create(AuditLogSchema, { at: this.#deps.clock.now(), actor, action, chargePoint: chargePointId, request, result, outcome });
      });
    } catch (err) {
      this.#deps.log.error({ err, chargePointId, action, actor, outcome }, 'could not write the audit log');
    }
  }

  async #rearm(): Promise<void> {
    if (this.#closed) return;
    const next = await this.#deps.orm.em.fork().findOne(ReservationSchema, { status: { $in: [...OPEN] } }, { orderBy: { expiryDate: 'asc' } });
    if (next) this.#armAt(next.expiryDate);
  }

  /** Sets the timer to `due` unless it is already set to fire earlier. */
  #armAt(due: Date): void {
    if (this.#closed) return;
    const dueMs = due.getTime();
    if (this.#timer && this.#timerDue !== undefined && this.#timerDue <= dueMs) return;
    clearTimeout(this.#timer);
    // A few ms late rather than early: at the due time itself the reservation is already expired.
    const delay = Math.min(Math.max(0, dueMs - this.#deps.clock.now().getTime()) + 10, MAX_TIMER_MS);
    this.#timerDue = dueMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = undefined;
      this.#sweep = this.#fire().finally(() => (this.#sweep = undefined));
    }, delay);
    this.#timer.unref();
  }

  async #fire(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.expireNow();
      await this.#rearm();
    } catch (err) {
      this.#deps.log.error({ err }, 'reservation expiry sweep failed; retrying in a minute');
      if (!this.#closed) this.#armAt(new Date(this.#deps.clock.now().getTime() + 60_000));
    }
  }
}
