import type { Phase } from '../scenario/schema';
import type { Metric } from './metrics';
import type { Measurements } from './measure';

export interface ThresholdSpec {
  metric: Metric;
  max: number;
  phase: Phase;
}

export interface ThresholdResult {
  /** e.g. "errors[run] <= 0" */
  name: string;
  metric: Metric;
  phase: Phase;
  limit: number;
  /** null: the measured event never happened (e.g. no failover at all), which fails any limit. */
  observed: number | null;
  pass: boolean;
}

/** failover and unavailability describe the run as a whole; the rest can be read per phase. */
export function observe(m: Measurements, metric: Metric, phase: Phase): number | null {
  const p = m.phases[phase];
  switch (metric) {
    case 'failoverMs': return m.failoverMs;
    case 'unavailabilityMs': return m.unavailabilityMs;
    case 'errors': return p.errors;
    case 'wrongAnswers': return p.wrongAnswers;
    case 'lateResponses': return p.lateResponses;
    case 'requests': return p.requests;
    case 'p50Ms': return p.latency.p50Ms;
    case 'p90Ms': return p.latency.p90Ms;
    case 'p99Ms': return p.latency.p99Ms;
    case 'maxMs': return p.latency.maxMs;
  }
}

export function evaluate(m: Measurements, specs: readonly ThresholdSpec[]): ThresholdResult[] {
  return specs.map(({ metric, max, phase }) => {
    const observed = observe(m, metric, phase);
    const rounded = observed === null ? null : Math.round(observed * 1000) / 1000;
    return { name: `${metric}[${phase}] <= ${max}`, metric, phase, limit: max, observed: rounded, pass: observed !== null && observed <= max };
  });
}
