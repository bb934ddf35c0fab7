// Stage 5, measure: the load's records and the faults' effective times become measurements, and the
// scenario's thresholds are checked against them.
import type { Consistency } from '../measure/consistency';
import { drift, latencyWindows } from '../measure/drift';
import { environmentByPhase, sendLateness } from '../measure/environment';
import { measure, type FaultWindow, type Measurements } from '../measure/measure';
import { phaseOf } from '../measure/records';
import { evaluate, type ThresholdResult } from '../measure/thresholds';
import type { JournalFault } from '../report/journal';
import type { Scenario } from '../scenario/load';
import type { LoadOutcome } from './load';

/** The windows of the faults that took effect, each from its effective moment: failover counts from there, fail-back from the revert. */
const faultWindows = (faults: readonly JournalFault[]): FaultWindow[] =>
  faults.flatMap((f) => (f.effectiveAtMs === undefined ? [] : [{ effectiveAtMs: f.effectiveAtMs, ...(f.revertedAtMs !== undefined ? { revertedAtMs: f.revertedAtMs } : {}) }]));

export function measureDrill(scenario: Scenario, outcome: LoadOutcome, consistency: Consistency): { measurements: Measurements; thresholds: ThresholdResult[] } {
  const windows = faultWindows(outcome.faults);
  const driftSpec = scenario.measure.drift;
  const measurements: Measurements = {
    ...measure(outcome.records, windows, { sloMs: scenario.load.slo, steadyCount: scenario.measure.steadyCount }),
    consistency,
    environment: environmentByPhase(outcome.environment, sendLateness(outcome.records, (r) => phaseOf(r, windows)), windows),
    ...(driftSpec && outcome.samples ? { drift: drift(outcome.samples, latencyWindows(outcome.records, windows, driftSpec.window, driftSpec.settle)) } : {}),
  };
  return { measurements, thresholds: evaluate(measurements, scenario.thresholds) };
}
