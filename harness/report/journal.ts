import type { Measurements } from '../measure/measure';
import type { ThresholdResult } from '../measure/thresholds';

export type Verdict = 'pass' | 'fail' | 'error';

export interface JournalFault {
  fault: string;
  target: string;
  /** Scheduled start, ms from load start. */
  at: number;
  attributes: unknown;
  injectedAtMs?: number;
  revertedAtMs?: number;
  /** Why inject or revert failed. */
  error?: string;
}

export interface SteadyStateCheck {
  ok: boolean;
  /** Why it did not hold (the last reason seen, for a check that polls). */
  detail?: string;
  elapsedMs: number;
}

export interface ReplicaDiagnosis {
  role: string;
  /** /readyz at the end of the drill, or why it could not be read. */
  readiness: string;
  /** Last lines of the container's log. */
  logTail: string[];
}

export interface Diagnosis {
  /** The first threshold that failed (in file order) or the step that errored, with why. */
  firstFailure?: string;
  replicas: ReplicaDiagnosis[];
}

/**
 * The single record of one drill; every report renders it and computes nothing. `records` is columnar to keep
 * thousands of requests small: records.sentMs[i], records.status[i], ... describe request i.
 */
export interface Journal {
  schemaVersion: 1;
  scenario: { name: string; description: string; file: string };
  runId: string;
  verdict: Verdict;
  /** The run was stopped (Ctrl-C, SIGTERM) before it finished: a partial record, verdict "error". */
  interrupted?: boolean;
  startedAt: string;
  finishedAt: string;
  environment: {
    node: string;
    platform: string;
    images: Record<string, string>;
    /** The models the replicas may serve, by precision. */
    models: Record<string, { version: string; sha256: string; bytes: number }>;
    seed: number;
  };
  /**
   * The deployment the drill ran on. A reused topology was reset after the previous drill (new gateway, no
   * toxics, replicas verified); topologyUpMs is then the reset's time.
   */
  topology?: { runId: string; reused: boolean; resetProblem?: string };
  timing: { topologyUpMs?: number; loadMs?: number; totalMs: number };
  /** A stop condition (scenario rollback.stopOn) was reached: when, and which. */
  rollback?: { atMs: number; reason: string };
  faults: JournalFault[];
  steadyState: { before?: SteadyStateCheck; after?: SteadyStateCheck };
  measurements?: Measurements;
  thresholds: ThresholdResult[];
  diagnosis: Diagnosis;
  records?: {
    sentMs: number[];
    doneMs: number[];
    status: number[];
    servedBy: (string | null)[];
    wrong: boolean[];
    error: (string | null)[];
  };
}
