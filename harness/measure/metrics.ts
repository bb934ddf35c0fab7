/** Metrics a threshold can bound (scenario `thresholds[].metric`). */
export const METRICS = [
  'errors',
  'uncleanErrors',
  'wrongAnswers',
  'lateResponses',
  'failoverMs',
  'unavailabilityMs',
  'failbackMs',
  'requests',
  'p50Ms',
  'p90Ms',
  'p99Ms',
  'maxMs',
  // primary versus standby on the request set (consistency)
  'scoreMaxAbsDelta',
  'top10Overlap',
  'minTop10Overlap',
  'sameTop1Rate',
  // soak drills (measure.drift): largest memory growth of any container, and latency change over the run
  'memoryGrowthMb',
  'p50DriftMs',
  'p99DriftMs',
] as const;
/** Metrics only a drill with `measure.drift` measures. */
export const DRIFT_METRICS: readonly Metric[] = ['memoryGrowthMb', 'p50DriftMs', 'p99DriftMs'];
export type Metric = (typeof METRICS)[number];
