import type { Logger } from '@charge-it/core/kernel';
import type { ConfigurationStore } from '../config-keys/configuration-store.js';
import type { Clock } from '../ocpp/clock.js';
import type { Connector } from './connector.js';

/** What reservations need from the charge point (the controller supplies it). */
export interface ReservationsDeps {
  config: ConfigurationStore;
  clock: Clock;
  log: Logger;
  outlets(): Connector[];
  connector(id: number): Connector | undefined;
  refreshStatus(c: Connector): void;
  save(): void;
}

/** ReserveNow / CancelReservation (S16 §5.13, §5.2) and the expiry of a reservation. */
export class Reservations {
  readonly #d: ReservationsDeps;

  constructor(deps: ReservationsDeps) {
    this.#d = deps;
  }

  reserve(req: { connectorId: number; expiryDate: string; idTag: string; parentIdTag?: string; reservationId: number }): 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable' {
    const existing = this.#d.outlets().find((c) => c.reservation?.reservationId === req.reservationId);
    let c: Connector | undefined;
    if (req.connectorId === 0) {
      if (!this.#d.config.bool('ReserveConnectorZeroSupported')) return 'Rejected';
      // "Any connector": this runtime reserves the first free one (documented in docs/runtime.md).
      c = existing ?? this.#d.outlets().find((x) => x.free && !x.plugged && !x.pendingStart && !x.reservation);
      if (!c) return this.#d.outlets().every((x) => x.faulted) ? 'Faulted' : this.#d.outlets().every((x) => x.availability === 'Inoperative') ? 'Unavailable' : 'Occupied';
    } else {
      c = this.#d.connector(req.connectorId);
      if (!c) return 'Rejected';
      if (c.faulted) return 'Faulted';
      if (c.availability === 'Inoperative') return 'Unavailable';
      if (c.transaction || c.plugged || c.pendingStart || (c.reservation && c.reservation.reservationId !== req.reservationId)) return 'Occupied';
    }
    if (Date.parse(req.expiryDate) <= this.#d.clock.now()) return 'Rejected';
    if (existing && existing !== c) this.clear(existing);
    c.reservation = { reservationId: req.reservationId, idTag: req.idTag, expiryDate: req.expiryDate, ...(req.parentIdTag ? { parentIdTag: req.parentIdTag } : {}) };
    this.arm(c);
    this.#d.save();
    this.#d.refreshStatus(c);
    return 'Accepted';
  }

  cancel(reservationId: number): 'Accepted' | 'Rejected' {
    const c = this.#d.outlets().find((x) => x.reservation?.reservationId === reservationId);
    if (!c) return 'Rejected';
    this.clear(c);
    return 'Accepted';
  }

  arm(c: Connector): void {
    clearTimeout(c.reservationTimer);
    const r = c.reservation;
    if (!r) return;
    const ms = Date.parse(r.expiryDate) - this.#d.clock.now();
    c.reservationTimer = setTimeout(() => {
      if (c.reservation?.reservationId !== r.reservationId) return;
      this.#d.log.info({ connectorId: c.id, reservationId: r.reservationId }, 'reservation expired');
      this.clear(c);
    }, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  }

  clear(c: Connector): void {
    clearTimeout(c.reservationTimer);
    c.reservation = undefined;
    this.#d.save();
    this.#d.refreshStatus(c);
  }
}
