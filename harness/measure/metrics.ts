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
] as const;
export type Metric = (typeof METRICS)[number];
