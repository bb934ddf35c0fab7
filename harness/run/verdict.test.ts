import type { EnvironmentMeasurements, PhaseEnvironment } from '../measure/environment';
import type { PhaseMeasurements } from '../measure/measure';
import type { Metric } from '../measure/metrics';
import type { ThresholdResult } from '../measure/thresholds';
import type { Phase } from '../scenario/schema';
import { decideVerdict, type VerdictFacts } from './verdict';

const threshold = (name: string, pass: boolean, observed: number | null = 1, metric: Metric = 'errors', phase: Phase = 'run'): ThresholdResult =>
  ({ name, metric, phase, limit: 0, bound: 'max', observed, pass });
const held = { ok: true, elapsedMs: 5 };
/** A phase's measurements: `requests` answered, `late` of them past the SLO, `errors` failed. */
const measured = (requests: number, late = 0, errors = 0, p99Ms = 20): PhaseMeasurements => ({
  requests, errors, uncleanErrors: 0, wrongAnswers: 0, lateResponses: late, servedBy: { primary: requests },
  latency: { count: requests - errors, p50Ms: 5, p90Ms: 10, p99Ms, maxMs: p99Ms + 10 },
});
const broken = (detail: string) => ({ ok: false, detail, elapsedMs: 5000 });
/** A drill where everything held; each test breaks one thing. */
const healthy: VerdictFacts = {
  steadyBefore: held,
  faults: [{ fault: 'crash', target: 'primary', at: 500, attributes: {}, effectiveAtMs: 501, revertedAtMs: 2500 }],
  thresholds: [threshold('errors[run] <= 0', true, 0)],
  steadyAfter: held,
};

describe('decideVerdict', () => {
  it('passes a drill where every stage held', () => {
    expect(decideVerdict(healthy)).toEqual({ verdict: 'pass' });
  });

  it('fails on the first failing threshold, in file order, with what was observed', () => {
    const d = decideVerdict({ ...healthy, thresholds: [threshold('a', true), threshold('errors[fault] <= 0', false, 3), threshold('c', false, 9)] });
    expect(d).toEqual({ verdict: 'fail', firstFailure: 'threshold errors[fault] <= 0 failed: observed 3' });
  });

  it('says "never" for a threshold on an event that did not happen', () => {
    expect(decideVerdict({ ...healthy, thresholds: [threshold('failoverMs[run] <= 300', false, null)] }).firstFailure)
      .toBe('threshold failoverMs[run] <= 300 failed: observed never (the event did not happen)');
  });

  it('fails when the system did not recover after the faults', () => {
    expect(decideVerdict({ ...healthy, steadyAfter: broken('standby not ready') }))
      .toEqual({ verdict: 'fail', firstFailure: 'steady state after faults: the system did not recover: standby not ready' });
  });

  it('a rollback is the first failure even when thresholds failed too', () => {
    const d = decideVerdict({ ...healthy, rollback: { atMs: 1234, reason: 'stop condition errors >= 5 reached' }, thresholds: [threshold('x', false)] });
    expect(d).toEqual({ verdict: 'fail', firstFailure: 'rollback at 1.2 s: stop condition errors >= 5 reached; every fault was reverted then' });
  });

  it('is an error, not a fail, when a fault did not take effect: the system was not tested', () => {
    const faults = [{ fault: 'latency', target: 'primary', at: 0, attributes: {}, error: 'inject failed: the fault did not take effect: no delay seen' }];
    expect(decideVerdict({ ...healthy, faults, thresholds: [threshold('x', false)] }))
      .toEqual({ verdict: 'error', firstFailure: 'fault latency on primary: inject failed: the fault did not take effect: no delay seen' });
  });

  it('is an error when the load was not sent as planned', () => {
    expect(decideVerdict({ ...healthy, loadShortfall: 'sent 10 of 400' })).toEqual({ verdict: 'error', firstFailure: 'load: sent 10 of 400' });
  });

  it('is an error when the environment was unhealthy before any fault', () => {
    expect(decideVerdict({ steadyBefore: broken('primary not ready: 503') }))
      .toEqual({ verdict: 'error', firstFailure: 'steady state before faults (environment unhealthy): primary not ready: 503' });
  });

  it('names infrastructure and harness errors apart', () => {
    expect(decideVerdict({ error: { message: 'image x is missing', infrastructure: true } }).firstFailure).toBe('infrastructure error: image x is missing');
    expect(decideVerdict({ error: { message: 'boom', infrastructure: false } }).firstFailure).toBe('harness error: boom');
  });

  it('an interrupted run is an error whatever else was found', () => {
    const d = decideVerdict({ ...healthy, interrupted: true, error: { message: 'aborted', infrastructure: false } });
    expect(d.verdict).toBe('error');
    expect(d.firstFailure).toMatch(/^interrupted before the drill finished/);
  });

  describe('a failing timing threshold names the CPU pressure it was measured under', () => {
    const phase = (cpuPressurePercent: number | null): PhaseEnvironment =>
      ({ cpuPressurePercent, harnessCpuPercent: 30, sendLatenessP50Ms: 0.4, sendLatenessP99Ms: 12.04, sendLatenessMaxMs: 30 });
    /** The fault phase at `fault` %, every other phase quiet. */
    const environment = (fault: number | null): EnvironmentMeasurements =>
      ({ pressureSource: 'psi', sampleIntervalMs: 100, phases: { run: phase(30), baseline: phase(15), fault: phase(fault), recovery: phase(18) } });
    const failing = (metric: Metric, phaseName: Phase, fault: number | null): string | undefined =>
      decideVerdict({ ...healthy, thresholds: [threshold(`${metric}[${phaseName}] <= 100`, false, 115.9, metric, phaseName)], environment: environment(fault) }).firstFailure;

    it('says so for a latency threshold on a phase under pressure, and the verdict stays a fail', () => {
      const d = decideVerdict({ ...healthy, thresholds: [threshold('p99Ms[fault] <= 100', false, 115.9, 'p99Ms', 'fault')], environment: environment(63.4) });
      expect(d).toEqual({ verdict: 'fail', firstFailure: 'threshold p99Ms[fault] <= 100 failed: observed 115.9 — under CPU pressure: 63 % (psi) in the fault phase, send lateness p99 12.0 ms' });
    });

    it('reads failover and unavailability in the fault phase, fail-back in the recovery phase', () => {
      expect(failing('failoverMs', 'run', 63)).toMatch(/under CPU pressure: 63 % \(psi\) in the fault phase/);
      expect(failing('unavailabilityMs', 'run', 63)).toMatch(/in the fault phase/);
      expect(failing('failbackMs', 'run', 63)).toBe('threshold failbackMs[run] <= 100 failed: observed 115.9'); // recovery was quiet
    });

    it('says so when the hypervisor stole the CPU, which the pressure inside the machine does not see', () => {
      const stolen = (cpuStealPercent: number | null): EnvironmentMeasurements => {
        const e = environment(20);
        return { ...e, phases: { ...e.phases, fault: { ...e.phases.fault, cpuStealPercent } } };
      };
      const first = (e: EnvironmentMeasurements): string | undefined =>
        decideVerdict({ ...healthy, thresholds: [threshold('p99Ms[fault] <= 100', false, 115.9, 'p99Ms', 'fault')], environment: e }).firstFailure;
      expect(first(stolen(24.6))).toBe('threshold p99Ms[fault] <= 100 failed: observed 115.9 — under CPU pressure: 20 % (psi) in the fault phase, the hypervisor stole 25 % of the CPU, send lateness p99 12.0 ms');
      expect(first(stolen(9.9))).toBe('threshold p99Ms[fault] <= 100 failed: observed 115.9');
      expect(first(stolen(null))).toBe('threshold p99Ms[fault] <= 100 failed: observed 115.9');
      const busy = environment(63.4);
      expect(first({ ...busy, phases: { ...busy.phases, fault: { ...busy.phases.fault, cpuStealPercent: 3.2 } } })).toContain('63 % (psi) in the fault phase, the hypervisor stole 3 % of the CPU, send');
    });

    it('says nothing when the phase was quiet, was not sampled, or the metric is not a timing', () => {
      expect(failing('p99Ms', 'fault', 39.9)).toBe('threshold p99Ms[fault] <= 100 failed: observed 115.9');
      expect(failing('p99Ms', 'fault', null)).toBe('threshold p99Ms[fault] <= 100 failed: observed 115.9');
      expect(failing('errors', 'fault', 90)).toBe('threshold errors[fault] <= 100 failed: observed 115.9');
      expect(decideVerdict({ ...healthy, thresholds: [threshold('p99Ms[fault] <= 100', false, 115.9, 'p99Ms', 'fault')] }).firstFailure)
        .toBe('threshold p99Ms[fault] <= 100 failed: observed 115.9');
    });

    it("says where the slowest answers' time went, for a latency threshold, when the gateway gave its timing", () => {
      const slowest = { answers: 7, latencyMs: 320.4, attemptMs: 12.2, replicaMs: 1.4, beforeAttemptMs: 300.1, outsideMs: 8 };
      const phases = { fault: { ...measured(400), slowest } };
      const d = decideVerdict({ ...healthy, thresholds: [threshold('p99Ms[fault] <= 100', false, 325, 'p99Ms', 'fault')], environment: environment(63.4), phases });
      expect(d.firstFailure).toBe('threshold p99Ms[fault] <= 100 failed: observed 325 — under CPU pressure: 63 % (psi) in the fault phase, send lateness p99 12.0 ms' +
        '; its slowest 1 % (7 answers) took a median 320 ms: 12 ms in the attempt that answered (1 ms of it in the replica), 300 ms in the gateway before it, 8 ms outside the gateway (medians)');
      const failover = decideVerdict({ ...healthy, thresholds: [threshold('failoverMs[run] <= 100', false, 325, 'failoverMs', 'run')], phases });
      expect(failover.firstFailure).toBe('threshold failoverMs[run] <= 100 failed: observed 325');
    });

    it('leaves a passing drill a pass however busy the machine was', () => {
      expect(decideVerdict({ ...healthy, environment: environment(95) })).toEqual({ verdict: 'pass' });
    });
  });

  describe('a failing threshold on the faults says where its requests were and how the baseline fared', () => {
    const first = (t: ThresholdResult, phases: VerdictFacts['phases'], facts: Partial<VerdictFacts> = {}): string | undefined =>
      decideVerdict({ ...healthy, thresholds: [t], phases, sloMs: 250, ...facts }).firstFailure;
    const quiet = { baseline: measured(300), fault: measured(400, 0, 120), recovery: measured(500, 0, 279), run: measured(1200, 0, 399) };

    it('splits a count over the whole run across the phases', () => {
      expect(first(threshold('errors[run] <= 0', false, 399), quiet)).toBe('threshold errors[run] <= 0 failed: observed 399 (baseline 0, fault 120, recovery 279)');
      expect(first(threshold('lateResponses[run] <= 0', false, 0, 'lateResponses'), quiet)).toContain('observed 0 (baseline 0, fault 0, recovery 0)');
      // A count on one phase, or a timing, is not split.
      expect(first(threshold('errors[fault] <= 0', false, 120, 'errors', 'fault'), quiet)).toBe('threshold errors[fault] <= 0 failed: observed 120');
      expect(first(threshold('failoverMs[run] <= 100', false, 325, 'failoverMs'), quiet)).toBe('threshold failoverMs[run] <= 100 failed: observed 325');
    });

    it('says the load was not carried before any fault when the baseline had errors or over 1 % of its answers late', () => {
      const late = { ...quiet, baseline: measured(136, 50, 0, 795.1) };
      expect(first(threshold('p99Ms[fault] <= 300', false, 1455.1, 'p99Ms', 'fault'), late)).toBe('threshold p99Ms[fault] <= 300 failed: observed 1455.1' +
        '; before any fault took effect, the load was already not carried: in the baseline 50 of 136 requests were answered past the 250 ms SLO (p99 795 ms)');
      const failed = { ...quiet, baseline: measured(300, 0, 7) };
      expect(first(threshold('errors[run] <= 0', false, 406), failed)).toBe('threshold errors[run] <= 0 failed: observed 406 (baseline 7, fault 120, recovery 279)' +
        '; before any fault took effect, the load was already not carried: in the baseline 7 of 300 failed');
      expect(first(threshold('errors[run] <= 0', false, 406), { ...failed, baseline: measured(300, 30, 7, 400) })).toContain('in the baseline 30 of 300 requests were answered past the 250 ms SLO (p99 400 ms) and 7 of 300 failed');
      expect(first(threshold('errors[run] <= 0', false, 399), late, { sloMs: undefined })).toContain('answered past the SLO (p99 795 ms)');
    });

    it('says nothing of the baseline when it kept to the SLO, is what the threshold is on, or no fault ran', () => {
      const threeLate = { ...quiet, baseline: measured(300, 3) }; // 1 %, the p99's own share
      expect(first(threshold('errors[run] <= 0', false, 399), threeLate)).not.toContain('before any fault');
      expect(first(threshold('errors[run] <= 0', false, 399), { ...quiet, baseline: measured(300, 4) })).toContain('in the baseline 4 of 300 requests');
      const late = { ...quiet, baseline: measured(136, 50, 0, 795.1) };
      expect(first(threshold('p99Ms[baseline] <= 100', false, 795.1, 'p99Ms', 'baseline'), late)).toBe('threshold p99Ms[baseline] <= 100 failed: observed 795.1');
      expect(first(threshold('p99Ms[run] <= 100', false, 795.1, 'p99Ms'), late, { faults: [] })).toBe('threshold p99Ms[run] <= 100 failed: observed 795.1');
      expect(first(threshold('p99Ms[run] <= 100', false, 795.1, 'p99Ms'), { ...late, baseline: measured(0) })).toBe('threshold p99Ms[run] <= 100 failed: observed 795.1');
    });
  });
});
