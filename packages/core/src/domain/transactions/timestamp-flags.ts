/** Charge point clocks before this are not set (e.g. 1970 before the first Boot, field failure F6). */
const IMPLAUSIBLE_BEFORE = Date.UTC(2010, 0, 1);

/**
 * Flags for a charge point timestamp compared with the receive time. Old timestamps are normal
 * (queued messages after an outage) and are not flagged; timestamps in the future beyond the
 * tolerance, and clocks that were never set, are.
 */
export function timestampFlags(timestamp: Date, receivedAt: Date, toleranceSeconds: number): string[] {
  if (timestamp.getTime() < IMPLAUSIBLE_BEFORE) return ['clock-implausible'];
  if (timestamp.getTime() - receivedAt.getTime() > toleranceSeconds * 1000) return ['clock-skew'];
  return [];
}
