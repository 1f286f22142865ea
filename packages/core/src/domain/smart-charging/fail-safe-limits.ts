/**
 * The fail-safe profiles every charger gets at boot, and keeps, so that it stays within bounds
 * whatever the central system does next (including being down).
 */

export interface FailSafeInput {
  siteLimitKw: number;
  minPerSessionKw: number;
  /** Every charger that may draw power at this site (registered and not Rejected). */
  chargers: readonly { chargePointId: string; maxKw: number }[];
}

export interface FailSafeLimit {
  /** ChargePointMaxProfile (connector 0): the most the whole charger may ever draw (W). */
  chargePointMaxW: number;
  /** TxDefaultProfile (connector 0): what a new session starts at before it gets its own profile (W). */
  txDefaultW: number;
}

/**
 * ChargePointMaxProfile = the charger's share of the site limit when every other charger runs one
 * session at the minimum: `siteLimit − (n − 1) × minimum`, never below `siteLimit / n`, never above
 * the charger's own maximum. That is the most load management would ever give this charger while
 * the others keep charging, so the profile never holds back an allocation it made, yet no single
 * charger can take the whole site.
 *
 * TxDefaultProfile = the per-session minimum (at most the ChargePointMaxProfile): a session that
 * starts while the central system cannot react yet (or is down) charges at a power the site was
 * planned for, until load management sends its TxProfile.
 *
 * (`siteLimit / n` for every charger would make the fail-safe strict even with every charger
 * charging at once, but it would cap every charger at 1/n of the site all the time, also when it
 * is the only one charging; see docs/smart-charging.md.)
 */
export function failSafeLimits(input: FailSafeInput): Map<string, FailSafeLimit> {
  const siteW = Math.max(0, Math.round(input.siteLimitKw * 1000));
  const minW = Math.max(0, Math.round(input.minPerSessionKw * 1000));
  const n = input.chargers.length;
  const out = new Map<string, FailSafeLimit>();
  if (n === 0) return out;
  const shareW = Math.max(Math.floor(siteW / n), siteW - (n - 1) * minW);
  for (const c of input.chargers) {
    const chargePointMaxW = Math.min(Math.max(0, Math.round(c.maxKw * 1000)), shareW);
    out.set(c.chargePointId, { chargePointMaxW, txDefaultW: Math.min(minW, chargePointMaxW) });
  }
  return out;
}
