// The verdict of a drill, from what its stages found: a pure function, so every rule is tested on its own.
// Order matters: the first rule that applies names the drill's first failure.
import type { ThresholdResult } from '../measure/thresholds';
import type { JournalFault, SteadyStateCheck, Verdict } from '../report/journal';

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
  if (failedThreshold) return { verdict: 'fail', firstFailure: `threshold ${failedThreshold.name} failed: observed ${failedThreshold.observed ?? 'never (the event did not happen)'}` };
  if (f.steadyAfter && !f.steadyAfter.ok) return { verdict: 'fail', firstFailure: `steady state after faults: the system did not recover: ${f.steadyAfter.detail}` };
  return { verdict: 'pass' };
}
