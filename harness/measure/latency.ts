import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** Latency percentiles from an HDR histogram at microsecond resolution, 3 significant digits. */
export function summarizeLatency(latenciesMs: readonly number[]): LatencySummary {
  if (latenciesMs.length === 0) return { count: 0, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null };
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 'packed' });
  for (const ms of latenciesMs) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  const at = (p: number): number => histogram.getValueAtPercentile(p) / 1000;
  const summary = { count: latenciesMs.length, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: histogram.maxValue / 1000 };
  histogram.destroy();
  return summary;
}
