import { METRICS } from '../measure/metrics';
import type { Measurements, PhaseMeasurements } from '../measure/measure';
import { observe } from '../measure/thresholds';
import { PHASE_METRICS } from './checks';
import { parseScenario } from './load';
import { PHASES } from './schema';

it('lists as per-phase exactly the metrics the measurements hold per phase', () => {
  // Every figure differs between phases, so a metric read per phase gives a different value in each.
  const phase = (n: number): PhaseMeasurements => ({
    requests: n, errors: n, uncleanErrors: n, wrongAnswers: n, lateResponses: n, servedBy: {},
    latency: { count: n, p50Ms: n, p90Ms: n, p99Ms: n, maxMs: n },
  });
  // Only what observe reads; the rest of Measurements (fault moments, consistency, drift) stays out of it.
  const m = {
    failoverMs: 7, unavailabilityMs: 7, failbackMs: 7,
    phases: { run: phase(1), baseline: phase(2), fault: phase(3), recovery: phase(4) },
  } satisfies Partial<Measurements>;
  const perPhase = METRICS.filter((metric) => new Set(PHASES.map((p) => observe(m as Measurements, metric, p))).size > 1);
  expect(perPhase).toEqual([...PHASE_METRICS]);
});

describe('what the cross-field checks still accept', () => {
  const drill = (body: string): string => `name: ok\ndescription: a drill\nload: { rate: 100, duration: 3s }\n${body}`;

  it('a fault on the sync link of a topology with hot backup', () => {
    const s = parseScenario(drill('topology: { sync: { interval: 1s } }\nfaults: [{ at: 1s, fault: partition, target: sync, duration: 1s }]\nthresholds: [{ metric: errors, max: 0 }]\n'), 'drill.yaml');
    expect(s.faults).toEqual([{ at: 1000, fault: 'partition', target: 'sync', duration: 1000, attributes: {} }]);
  });

  it('a whole-run metric with phase "run" written out, and a recovery phase after a revert within the load', () => {
    const s = parseScenario(drill('faults: [{ at: 1s, fault: partition, target: primary, duration: 1s }]\nthresholds:\n  - { metric: failoverMs, phase: run, max: 500 }\n  - { metric: failbackMs, max: 1000 }\n  - { metric: errors, phase: recovery, max: 0 }\n'), 'drill.yaml');
    expect(s.thresholds.map((t) => `${t.metric}[${t.phase}]`)).toEqual(['failoverMs[run]', 'failbackMs[run]', 'errors[recovery]']);
  });

  it('a recovery phase when a stop condition may revert the faults early', () => {
    const s = parseScenario(drill('faults: [{ at: 1s, fault: crash, target: primary }]\nrollback: { stopOn: { errors: 10 } }\nthresholds: [{ metric: errors, phase: recovery, max: 0 }]\n'), 'drill.yaml');
    expect(s.thresholds).toEqual([{ metric: 'errors', phase: 'recovery', max: 0 }]);
  });
});
