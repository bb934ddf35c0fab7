/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when there are none. One definition for every bench. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

/** "min / median / max" of the values that were measured, and how many were not (NaN); "-" when none were. */
export function spread(xs: readonly number[], digits = 1): string {
  const measured = xs.filter((x) => !Number.isNaN(x));
  const missing = xs.length - measured.length;
  const text = measured.length ? `${Math.min(...measured).toFixed(digits)} / ${median(measured).toFixed(digits)} / ${Math.max(...measured).toFixed(digits)}` : '-';
  return missing ? `${text} (${missing} n/a)` : text;
}

/** Least-squares slope of y over x (NaN for fewer than two distinct x). */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}
