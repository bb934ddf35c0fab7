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

/**
 * The windows of the faults that took effect: failover counts from the effective moment, the phases from the
 * earliest moment the observation allows (a crash seen late is placed at Docker's exit time, an upper bound), and
 * fail-back from the revert.
 */
export const faultWindows = (faults: readonly JournalFault[]): FaultWindow[] =>
  faults.flatMap((f) => {
    if (f.effectiveAtMs === undefined) return [];
    const earliestAtMs = Math.max(f.requestedAtMs ?? -Infinity, f.effectiveAtMs - (f.effect?.resolutionMs ?? 0));
    return [{ effectiveAtMs: f.effectiveAtMs, earliestAtMs, ...(f.revertedAtMs !== undefined ? { revertedAtMs: f.revertedAtMs } : {}) }];
  });

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
