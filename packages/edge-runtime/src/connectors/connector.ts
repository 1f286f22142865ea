import type { CableKind } from '../cable/cable-config.js';
import type { ChargePointErrorCode, ChargePointStatus, IdTagInfo, MeterValue } from '../ocpp/ocpp-types.js';

export interface ActiveTransaction {
  /** Local id, known before the CS assigns a transactionId (offline starts). */
  txLocal: string;
  transactionId?: number;
  idTag: string;
  parentIdTag?: string;
  startedAt: string;
  startMs: number;
  meterStartWh: number;
  reservationId?: number;
  /** Samples kept for StopTransaction.transactionData (StopTxnSampledData/AlignedData). */
  stopTxnData: MeterValue[];
  /** StartTransaction.conf was not Accepted and StopTransactionOnInvalidId=false: energy cut. */
  deauthorized?: boolean;
}

export interface Reservation {
  reservationId: number;
  idTag: string;
  parentIdTag?: string;
  expiryDate: string;
}

/** Authorised start waiting for the cable (card tapped or RemoteStart before plug-in). */
export interface PendingStart {
  idTag: string;
  info: IdTagInfo;
  reservationId?: number;
  timer?: NodeJS.Timeout;
}

/** What of a connector survives a restart. */
export interface PersistedConnector {
  availability: 'Operative' | 'Inoperative';
  scheduledInoperative?: boolean;
  transaction?: ActiveTransaction;
  reservation?: Reservation;
}

/**
 * One connector's state. The OCPP status is derived from it (never stored), so that it cannot
 * drift from the facts: fault → Faulted; a transaction → Charging / SuspendedEV / SuspendedEVSE;
 * after a transaction with the cable still in → Finishing; Inoperative → Unavailable;
 * a reservation → Reserved; cable in or an authorised start waiting → Preparing; else Available.
 */
export class Connector {
  readonly id: number;
  readonly maxPowerW: number;
  /** How the EV is detected (edge.json `cable`); 'always': no sensor, the EV is there while a session runs. */
  readonly cable: CableKind;
  /** Power threshold detection: the EV draws power now. */
  evDrawing = false;
  availability: 'Operative' | 'Inoperative' = 'Operative';
  scheduledInoperative = false;
  plugged = false;
  /** The EV paused charging (battery full, car timer). */
  evSuspended = false;
  finishing = false;
  errorCode: ChargePointErrorCode = 'NoError';
  transaction: ActiveTransaction | undefined;
  reservation: Reservation | undefined;
  reservationTimer: NodeJS.Timeout | undefined;
  pendingStart: PendingStart | undefined;
  /** Effective limit (W) after charging profiles and the rating. */
  limitW: number;
  /** The last status told to the CS (undefined: never, or a reconnect since). */
  reportedStatus: ChargePointStatus | undefined;
  samplingTimer: NodeJS.Timeout | undefined;

  constructor(id: number, maxPowerW: number, cable: CableKind = 'manual') {
    this.id = id;
    this.maxPowerW = maxPowerW;
    this.cable = cable;
    this.limitW = maxPowerW;
  }

  get faulted(): boolean {
    return this.errorCode !== 'NoError' && this.errorCode !== 'LocalListConflict';
  }

  /** The EV may draw power now. */
  get delivering(): boolean {
    return !!this.transaction && this.plugged && !this.transaction.deauthorized && !this.evSuspended && !this.faulted && this.limitW > 0;
  }

  status(): ChargePointStatus {
    if (this.faulted) return 'Faulted';
    if (this.id === 0) return this.availability === 'Inoperative' ? 'Unavailable' : 'Available';
    if (this.transaction) {
      if (this.transaction.deauthorized || this.limitW <= 0) return 'SuspendedEVSE';
      if (this.evSuspended || !this.plugged) return 'SuspendedEV';
      return 'Charging';
    }
    if (this.finishing && this.plugged) return 'Finishing';
    if (this.availability === 'Inoperative') return 'Unavailable';
    if (this.reservation) return 'Reserved';
    if (this.plugged || this.pendingStart) return 'Preparing';
    return 'Available';
  }

  /** An authorised start may begin now: the cable is in, or there is no cable sensor ('always'). */
  get evReady(): boolean {
    return this.plugged || this.cable === 'always';
  }

  /** Free for a new session (no transaction, operative, not faulted). */
  get free(): boolean {
    return !this.transaction && this.availability === 'Operative' && !this.faulted;
  }

  persisted(): PersistedConnector {
    return {
      availability: this.availability,
      ...(this.scheduledInoperative ? { scheduledInoperative: true } : {}),
      ...(this.transaction ? { transaction: this.transaction } : {}),
      ...(this.reservation ? { reservation: this.reservation } : {}),
    };
  }
}
