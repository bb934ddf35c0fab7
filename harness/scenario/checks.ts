// Checks across fields, after the schema has passed: a fault aimed at a path this topology does not have, and a
// threshold on a measurement this drill never makes. Either would run and report a figure that means nothing: a
// fault that touched no request, or a bound that holds because nothing was measured.
import { DRIFT_METRICS, type Metric } from '../measure/metrics';
import type { FaultEnvelope, ScenarioEnvelope } from './schema';

/**
 * Records a problem at a path of the document; `withValue` appends the value found there, `key` locates that key
 * of the mapping at `path` instead of the mapping.
 */
export type Report = (path: readonly PropertyKey[], message: string, withValue?: boolean, key?: string) => void;

/**
 * Metrics the measurements hold per phase. The others describe the run as a whole: failover, unavailability and
 * fail-back span the phases, consistency is measured before the load, drift across all of it.
 */
export const PHASE_METRICS: readonly Metric[] = ['errors', 'uncleanErrors', 'wrongAnswers', 'lateResponses', 'requests', 'p50Ms', 'p90Ms', 'p99Ms', 'maxMs'];

/** Why no request would meet a fault aimed at `target` in this scenario's topology, if none would. */
export function missingPath(scenario: ScenarioEnvelope, target: FaultEnvelope['target']): string | undefined {
  if (target === 'sync' && !scenario.topology.sync) {
    return 'this topology has no hot-backup sync (topology.sync is not set), so nothing travels the sync link; add topology.sync or aim at primary or standby';
  }
  if (target === 'standby' && !scenario.gateway.failover) {
    return 'gateway.failover is false, so the gateway sends nothing to the standby; aim at the primary or set gateway.failover: true';
  }
  return undefined;
}

/** Refuses thresholds on a value this drill cannot measure: a whole-run metric by phase, an empty phase, an event that never happens. */
export function checkThresholds(scenario: ScenarioEnvelope, report: Report): void {
  const hasFault = scenario.faults.length > 0;
  // A revert during the load starts the recovery phase and fail-back; a stop condition may cause one too.
  const revertsDuringLoad = scenario.rollback.stopOn !== undefined
    || scenario.faults.some((f) => f.duration !== undefined && f.at + f.duration < scenario.load.duration);
  const noRevert = 'no fault is reverted before the load ends (give one a duration that ends within load.duration)';
  scenario.thresholds.forEach(({ metric, phase }, index) => {
    const at = (field: 'metric' | 'phase', message: string): void => report(['thresholds', index, field], message, false);
    if (DRIFT_METRICS.includes(metric) && !scenario.measure.drift) at('metric', `"${metric}" is measured only with measure.drift (a soak drill); add it or bound another metric`);
    else if (phase !== 'run' && !PHASE_METRICS.includes(metric)) at('phase', `"${metric}" covers the run as a whole and has no value per phase; drop the phase, or bound one of ${PHASE_METRICS.join(', ')}`);
    else if (phase === 'fault' && !hasFault) at('phase', 'phase "fault" is empty: this drill has no faults');
    else if (phase === 'recovery' && !revertsDuringLoad) at('phase', `phase "recovery" is empty: ${noRevert}`);
    else if ((metric === 'failoverMs' || metric === 'unavailabilityMs') && !hasFault) at('metric', `"${metric}" counts from a fault, and this drill has none`);
    else if (metric === 'failbackMs' && !revertsDuringLoad) at('metric', `"failbackMs" counts from a fault's revert, and ${noRevert}`);
  });
}
