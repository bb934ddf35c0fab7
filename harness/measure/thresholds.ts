import type { Phase } from '../scenario/schema';
import type { Metric } from './metrics';
import type { Measurements } from './measure';

export interface ThresholdSpec {
  metric: Metric;
  phase: Phase;
  /** Exactly one of max and min. */
  max?: number;
  min?: number;
}

export interface ThresholdResult {
  /** e.g. "errors[run] <= 0" */
  name: string;
  metric: Metric;
  phase: Phase;
  limit: number;
  bound: 'max' | 'min';
  /** null: the measured event never happened (e.g. no failover at all), which fails any limit. */
  observed: number | null;
  pass: boolean;
}

/** failover, unavailability and fail-back describe the run as a whole; the rest can be read per phase. */
export function observe(m: Measurements, metric: Metric, phase: Phase): number | null {
  const p = m.phases[phase];
  switch (metric) {
    case 'failoverMs': return m.failoverMs;
    case 'unavailabilityMs': return m.unavailabilityMs;
    case 'failbackMs': return m.failbackMs;
    case 'errors': return p.errors;
    case 'uncleanErrors': return p.uncleanErrors;
    case 'wrongAnswers': return p.wrongAnswers;
    case 'lateResponses': return p.lateResponses;
    case 'requests': return p.requests;
    case 'p50Ms': return p.latency.p50Ms;
    case 'p90Ms': return p.latency.p90Ms;
    case 'p99Ms': return p.latency.p99Ms;
    case 'maxMs': return p.latency.maxMs;
    case 'scoreMaxAbsDelta': return m.consistency?.maxAbsScoreDelta ?? null;
    case 'top10Overlap': return m.consistency?.meanTop10Overlap ?? null;
    case 'minTop10Overlap': return m.consistency?.minTop10Overlap ?? null;
    case 'sameTop1Rate': return m.consistency?.sameTop1Rate ?? null;
    case 'memoryGrowthMb': return m.drift?.memoryGrowthMb ?? null;
    case 'p50DriftMs': return m.drift?.p50DriftMs ?? null;
    case 'p99DriftMs': return m.drift?.p99DriftMs ?? null;
  }
}

export function evaluate(m: Measurements, specs: readonly ThresholdSpec[]): ThresholdResult[] {
  return specs.map(({ metric, phase, max, min }) => {
    const observed = observe(m, metric, phase);
    const rounded = observed === null ? null : Number(observed.toPrecision(6));
    const [bound, limit] = max !== undefined ? (['max', max] as const) : (['min', min as number] as const);
    const pass = observed !== null && (bound === 'max' ? observed <= limit : observed >= limit);
    return { name: `${metric}[${phase}] ${bound === 'max' ? '<=' : '>='} ${limit}`, metric, phase, limit, bound, observed: rounded, pass };
  });
}
