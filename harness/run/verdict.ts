// The verdict of a drill, from what its stages found: a pure function, so every rule is tested on its own.
// Order matters: the first rule that applies names the drill's first failure.
import { CPU_PRESSURE_LEVEL_PERCENT, CPU_STEAL_LEVEL_PERCENT, type EnvironmentMeasurements } from '../measure/environment';
import type { PhaseMeasurements } from '../measure/measure';
import type { Metric } from '../measure/metrics';
import type { ThresholdResult } from '../measure/thresholds';
import type { JournalFault, SteadyStateCheck, Verdict } from '../report/journal';
import type { Phase } from '../scenario/schema';

export interface VerdictFacts {
  /** Stopped by Ctrl-C or SIGTERM before it finished. */
  interrupted?: boolean;
  /** A stage threw: the infrastructure (Docker, images) or the harness itself. */
  error?: { message: string; infrastructure: boolean };
  steadyBefore?: SteadyStateCheck;
  /** Why the load generator did not send what the scenario asked for. */
  loadShortfall?: string;
  faults?: readonly JournalFault[];
  rollback?: { atMs: number; reason: string };
  thresholds?: readonly ThresholdResult[];
  steadyAfter?: SteadyStateCheck;
  /** The machine during the load: evidence for a failing threshold, never a verdict of its own. */
  environment?: EnvironmentMeasurements;
  /**
   * Each phase's measurements: how a failing count split across the phases, where the slowest answers spent their
   * time (when the gateway said), and whether the baseline already missed the SLO. Evidence too.
   */
  phases?: Partial<Record<Phase, PhaseMeasurements>>;
  /** The scenario's latency objective, which a late response missed. */
  sloMs?: number;
}

export interface Decision {
  verdict: Verdict;
  firstFailure?: string;
}

/**
 * error: the drill could not judge the system (interrupted, infrastructure, an unhealthy environment before the
 * faults, a load that was not sent, a fault that did not take effect). fail: the system did not hold (a rollback
 * stop condition, a threshold, no recovery afterwards). pass: none of these.
 */
export function decideVerdict(f: VerdictFacts): Decision {
  if (f.interrupted) return { verdict: 'error', firstFailure: 'interrupted before the drill finished; measurements cover the requests sent until then' };
  if (f.error) return { verdict: 'error', firstFailure: `${f.error.infrastructure ? 'infrastructure' : 'harness'} error: ${f.error.message}` };
  if (f.steadyBefore && !f.steadyBefore.ok) return { verdict: 'error', firstFailure: `steady state before faults (environment unhealthy): ${f.steadyBefore.detail}` };
  if (f.loadShortfall) return { verdict: 'error', firstFailure: `load: ${f.loadShortfall}` };
  const failedFault = f.faults?.find((fault) => fault.error);
  if (failedFault) return { verdict: 'error', firstFailure: `fault ${failedFault.fault} on ${failedFault.target}: ${failedFault.error}` };
  if (f.rollback) {
    return { verdict: 'fail', firstFailure: `rollback at ${(f.rollback.atMs / 1000).toFixed(1)} s: ${f.rollback.reason}; every fault was reverted then` };
  }
  const failedThreshold = f.thresholds?.find((t) => !t.pass);
  if (failedThreshold) {
    const observed = `threshold ${failedThreshold.name} failed: observed ${failedThreshold.observed ?? 'never (the event did not happen)'}`;
    const evidence = [
      phaseSplit(failedThreshold, f.phases),
      underPressure(failedThreshold, f.environment),
      whereTheTimeWent(failedThreshold, f.phases),
      baselineMissedSlo(failedThreshold, f),
    ];
    return { verdict: 'fail', firstFailure: observed + evidence.join('') };
  }
  if (f.steadyAfter && !f.steadyAfter.ok) return { verdict: 'fail', firstFailure: `steady state after faults: the system did not recover: ${f.steadyAfter.detail}` };
  return { verdict: 'pass' };
}

/** The latency metrics, which the slowest answers explain (failover and unavailability are about other requests). */
const LATENCY_METRICS: ReadonlySet<Metric> = new Set(['p90Ms', 'p99Ms', 'maxMs', 'lateResponses']);

/**
 * "; its slowest 1 % (7 answers) took a median 320 ms: 12 ms in the attempt that answered (1 ms of it in the
 * replica), 300 ms in the gateway before it, 8 ms outside the gateway (medians)" when a latency threshold failed and
 * the gateway said (Server-Timing).
 */
function whereTheTimeWent(t: ThresholdResult, phases: VerdictFacts['phases']): string {
  const s = LATENCY_METRICS.has(t.metric) ? phases?.[t.phase]?.slowest : undefined;
  if (!s) return '';
  const whole = Math.round;
  const inGateway = s.attemptMs === null || s.beforeAttemptMs === null
    ? ''
    : `${whole(s.attemptMs)} ms in the attempt that answered${s.replicaMs == null ? '' : ` (${whole(s.replicaMs)} ms of it in the replica)`}, ${whole(s.beforeAttemptMs)} ms in the gateway before it, `;
  const answers = `${s.answers} answer${s.answers === 1 ? '' : 's'}`;
  return `; its slowest 1 % (${answers}) took a median ${whole(s.latencyMs)} ms: ${inGateway}${whole(s.outsideMs)} ms outside the gateway (medians)`;
}

/** The request counts a phase measures under the metric's own name. */
const COUNT_METRICS = ['errors', 'uncleanErrors', 'wrongAnswers', 'lateResponses'] as const satisfies readonly (Metric & keyof PhaseMeasurements)[];
type CountMetric = (typeof COUNT_METRICS)[number];
const isCountMetric = (m: Metric): m is CountMetric => (COUNT_METRICS as readonly Metric[]).includes(m);

/** " (baseline 0, fault 120, recovery 279)" when a count over the whole run failed: which phase the requests were in. */
function phaseSplit(t: ThresholdResult, phases: VerdictFacts['phases']): string {
  if (t.phase !== 'run' || !isCountMetric(t.metric) || !phases) return '';
  const metric = t.metric;
  const parts = (['baseline', 'fault', 'recovery'] as const).flatMap((p) => (phases[p] ? [`${p} ${phases[p][metric]}`] : []));
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * "; before any fault took effect, the load was already not carried: …" when a threshold on the faults' effect
 * failed and the baseline had errors or more than 1 % of its answers past the SLO (its p99 over it): the
 * deployment, or the machine under it, was not keeping up before the drill broke anything, and the failure may not
 * be the failover's. The verdict stays what the threshold says.
 */
function baselineMissedSlo(t: ThresholdResult, { phases, faults, sloMs }: VerdictFacts): string {
  const baseline = phases?.baseline;
  if (t.phase === 'baseline' || !faults?.length || !baseline || baseline.requests === 0) return '';
  const late = baseline.lateResponses / baseline.requests > 0.01;
  if (baseline.errors === 0 && !late) return '';
  const slo = sloMs === undefined ? 'the SLO' : `the ${sloMs} ms SLO`;
  const p99 = baseline.latency.p99Ms === null ? '' : ` (p99 ${Math.round(baseline.latency.p99Ms)} ms)`;
  const parts = [
    ...(late ? [`${baseline.lateResponses} of ${baseline.requests} requests were answered past ${slo}${p99}`] : []),
    ...(baseline.errors ? [`${baseline.errors} of ${baseline.requests} failed`] : []),
  ];
  return `; before any fault took effect, the load was already not carried: in the baseline ${parts.join(' and ')}`;
}

/** The phase a timing metric describes: failover and unavailability happen in the fault window, fail-back after it. */
const TIMING_METRICS: Partial<Record<Metric, (phase: Phase) => Phase>> = {
  p50Ms: (phase) => phase,
  p90Ms: (phase) => phase,
  p99Ms: (phase) => phase,
  maxMs: (phase) => phase,
  lateResponses: (phase) => phase,
  failoverMs: () => 'fault',
  unavailabilityMs: () => 'fault',
  failbackMs: () => 'recovery',
};

/**
 * " — under CPU pressure: …" when a timing threshold failed while its phase ran on a busy machine (CPU pressure
 * inside it, or a hypervisor stealing its CPUs), else "".
 */
function underPressure(t: ThresholdResult, environment: EnvironmentMeasurements | undefined): string {
  const phase = TIMING_METRICS[t.metric]?.(t.phase);
  const e = phase && environment?.phases[phase];
  if (!phase || !e) return '';
  const pressured = e.cpuPressurePercent !== null && e.cpuPressurePercent >= CPU_PRESSURE_LEVEL_PERCENT;
  const stolen = e.cpuStealPercent != null && e.cpuStealPercent >= CPU_STEAL_LEVEL_PERCENT;
  if (!pressured && !stolen) return '';
  const where = `in the ${phase === 'run' ? 'whole run' : `${phase} phase`}`;
  const pressure = e.cpuPressurePercent === null ? '' : `${Math.round(e.cpuPressurePercent)} % (${environment.pressureSource}) `;
  const steal = e.cpuStealPercent != null && e.cpuStealPercent >= 1 ? `, the hypervisor stole ${Math.round(e.cpuStealPercent)} % of the CPU` : '';
  const lateness = e.sendLatenessP99Ms === null ? '' : `, send lateness p99 ${e.sendLatenessP99Ms.toFixed(1)} ms`;
  return ` — under CPU pressure: ${pressure}${where}${steal}${lateness}`;
}
