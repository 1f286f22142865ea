import type { LiveStateService, TransactionRow } from '../core-api.js';

/**
 * A running transaction's stored energy and cost are empty until it stops: show the live figures
 * (energy so far, cost so far) from the live state instead, so lists never show a blank for them.
 */
export function withLiveFigures<T extends TransactionRow>(rows: readonly T[], live: LiveStateService): T[] {
  return rows.map((r) => {
    if (r.status !== 'Active') return r;
    const session = live.connector(r.chargePointId, r.connectorId)?.session;
    if (!session || session.transactionId !== r.id) return r;
    return { ...r, energyWh: r.energyWh ?? session.energyWh, cost: r.cost ?? session.costIdr };
  });
}
