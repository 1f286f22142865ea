import type { ChargePointStatus } from '../../ocpp/v16/messages.js';

/**
 * The live state of the site, as plain read-only data (the contract of `services.get('live')`).
 * All times are ISO-8601 strings; numbers are plain numbers; the objects are frozen.
 */
export interface LiveSnapshot {
  readonly at: string;
  readonly site: LiveSite;
  readonly chargePoints: readonly LiveChargePoint[];
}

export interface LiveSite {
  /** Sum of the power of the running sessions (W). */
  readonly powerW: number;
  /** The site limit (settings `site.maxGridPowerKw` × 1000), null when none is set. */
  readonly gridLimitW: number | null;
  readonly sessionsRunning: number;
  readonly chargePointsOnline: number;
  readonly chargePointsTotal: number;
}

export interface LiveChargePoint {
  readonly id: string;
  readonly connected: boolean;
  readonly connectedSince: string | null;
  readonly lastSeenAt: string | null;
  readonly registrationStatus: 'Accepted' | 'Pending' | 'Rejected' | null;
  readonly vendor: string | null;
  readonly model: string | null;
  readonly firmwareVersion: string | null;
  /** Ordered by connectorId; connector 0 (the charge point as a whole) only when it reported one. */
  readonly connectors: readonly LiveConnector[];
}

export interface LiveConnector {
  readonly chargePointId: string;
  readonly connectorId: number;
  readonly status: ChargePointStatus | null;
  readonly errorCode: string | null;
  readonly info: string | null;
  readonly vendorErrorCode: string | null;
  /** When the current status began (the charger's timestamp, else the receive time). */
  readonly since: string | null;
  readonly session: LiveSession | null;
  /** The last finished session on this connector, kept for a while (option `live.lastSessionMinutes`). */
  readonly lastSession: LiveSessionSummary | null;
}

export interface LiveSession {
  readonly transactionId: number;
  readonly idTag: string;
  readonly startedAt: string;
  readonly meterStartWh: number;
  /** Energy delivered so far: the latest energy register minus meterStart, never negative. */
  readonly energyWh: number;
  readonly powerW: number | null;
  readonly currentA: number | null;
  readonly socPercent: number | null;
  /** Cost so far in whole rupiah (tariff taken at start), priced up to the moment the view was built. */
  readonly costIdr: number | null;
  /** When the session's meter data last changed (the receive time). */
  readonly updatedAt: string;
}

export interface LiveSessionSummary {
  readonly transactionId: number;
  readonly idTag: string;
  readonly startedAt: string;
  readonly stoppedAt: string;
  readonly energyWh: number;
  readonly costIdr: number | null;
  readonly stopReason: string | null;
}

/** A change of the live state. Events carry the whole new state of what changed. */
export type LiveEvent =
  | { readonly type: 'chargePoint'; readonly at: string; readonly chargePoint: LiveChargePoint }
  | { readonly type: 'connector'; readonly at: string; readonly connector: LiveConnector }
  | { readonly type: 'site'; readonly at: string; readonly site: LiveSite };

/** Limits a subscription to one charge point, or one connector of it. */
export interface LiveFilter {
  chargePointId?: string;
  connectorId?: number;
}

/**
 * A listener. It may return a promise: the next event for it waits until the promise settles, and
 * meanwhile newer states replace older ones in its buffer (it always gets the latest).
 */
export type LiveListener = (event: LiveEvent) => void | Promise<void>;

/** `services.get('live')`: the site as it is now. */
export interface LiveStateService {
  snapshot(): LiveSnapshot;
  chargePoint(id: string): LiveChargePoint | undefined;
  connector(chargePointId: string, connectorId: number): LiveConnector | undefined;
  /** Coalesced events; returns unsubscribe. A slow listener never blocks others or OCPP. */
  subscribe(listener: LiveListener, filter?: LiveFilter): () => void;
}
