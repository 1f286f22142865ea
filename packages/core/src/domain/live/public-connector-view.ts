import type { LiveConnector } from './live-types.js';
import { maskIdTag } from './mask-id-tag.js';

/**
 * What a driver may see of one connector (the public view, `GET /public/v1/connectors/...` and the
 * Firebase mirror): its status and its session with the idTag masked. Nothing about other
 * connectors or the charge point's users.
 */
export interface PublicConnectorView {
  chargePointId: string;
  connectorId: number;
  status: LiveConnector['status'];
  since: string | null;
  session: PublicSessionView | null;
  lastSession: PublicSessionSummary | null;
}

export interface PublicSessionView {
  transactionId: number;
  idTagMasked: string;
  startedAt: string;
  /** Seconds from the start to `now`, never negative. */
  durationS: number;
  energyWh: number;
  powerW: number | null;
  socPercent: number | null;
  costIdr: number | null;
  updatedAt: string;
}

export interface PublicSessionSummary {
  transactionId: number;
  idTagMasked: string;
  startedAt: string;
  stoppedAt: string;
  durationS: number;
  energyWh: number;
  costIdr: number | null;
  stopReason: string | null;
}

/** The public view of a connector at `now` (used for `durationS`). A new plain object each call. */
export function toPublicConnectorView(c: LiveConnector, now: Date): PublicConnectorView {
  const s = c.session;
  const l = c.lastSession;
  return {
    chargePointId: c.chargePointId,
    connectorId: c.connectorId,
    status: c.status,
    since: c.since,
    session: s
      ? {
          transactionId: s.transactionId,
          idTagMasked: maskIdTag(s.idTag),
          startedAt: s.startedAt,
          durationS: seconds(s.startedAt, now.getTime()),
          energyWh: s.energyWh,
          powerW: s.powerW,
          socPercent: s.socPercent,
          costIdr: s.costIdr,
          updatedAt: s.updatedAt,
        }
      : null,
    lastSession: l
      ? {
          transactionId: l.transactionId,
          idTagMasked: maskIdTag(l.idTag),
          startedAt: l.startedAt,
          stoppedAt: l.stoppedAt,
          durationS: seconds(l.startedAt, Date.parse(l.stoppedAt)),
          energyWh: l.energyWh,
          costIdr: l.costIdr,
          stopReason: l.stopReason,
        }
      : null,
  };
}

function seconds(fromIso: string, toMs: number): number {
  const from = Date.parse(fromIso);
  return Number.isFinite(from) && Number.isFinite(toMs) ? Math.max(0, Math.floor((toMs - from) / 1000)) : 0;
}
