/** Small statistics helpers on plain arrays. */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Linear-interpolated quantile (q in 0..1) of unsorted values. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** Median absolute deviation scaled to a standard deviation for normal data. */
export function robustScale(xs: readonly number[]): { center: number; scale: number } {
  const center = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - center))) * 1.4826;
  const iqr = (quantile(xs, 0.75) - quantile(xs, 0.25)) / 1.349;
  const scale = mad > 1e-9 ? mad : iqr > 1e-9 ? iqr : std(xs) > 1e-9 ? std(xs) : 1;
  return { center, scale };
}

export function mae(actual: readonly number[], predicted: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i]! - predicted[i]!);
  return s / actual.length;
}

/**
 * Mean absolute percentage error over the points whose actual value is at least `floor` (a load of
 * ~0 kW at night would make any percentage meaningless); null when no point qualifies.
 */
export function mape(actual: readonly number[], predicted: readonly number[], floor: number): number | null {
  let s = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i]! >= floor && actual[i]! > 0) {
      s += Math.abs(actual[i]! - predicted[i]!) / actual[i]!;
      n++;
    }
  }
  return n === 0 ? null : (s / n) * 100;
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
