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
] as const;
export type Metric = (typeof METRICS)[number];
