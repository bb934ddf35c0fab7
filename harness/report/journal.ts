import type { Measurements, Moments } from '../measure/measure';
import { outcomeOf, type Outcome, type RequestRecord } from '../measure/records';
import type { ThresholdResult } from '../measure/thresholds';
import { micro } from '../measure/numbers';

export type Verdict = 'pass' | 'fail' | 'error';

/** How a fault's effective moment was determined (every time in ms from the load's start, like the rest). */
export interface FaultEffect {
  /** In words: e.g. a refused TCP connect to the replica's port, probed every 1 ms. */
  method: string;
  /** The fault took effect no later than effectiveAtMs and no earlier than this much before it. */
  resolutionMs: number;
  /** Docker's record of the process's exit (State.FinishedAt), for faults that end one: a cross-check. */
  exitedAtMs?: number;
  /** restart: when the new process's port accepted a TCP connection. */
  acceptingAgainAtMs?: number;
}

export interface JournalFault {
  fault: string;
  target: string;
  /** Scheduled start, ms from load start. */
  at: number;
  attributes: unknown;
  /** When the harness asked for the fault (the start of its inject). */
  requestedAtMs?: number;
  /** When it took effect, as `effect` says: failover and unavailability count from here. Read with `faultEffectiveAtMs`. */
  effectiveAtMs?: number;
  effect?: FaultEffect;
  /**
   * Journals written before `effectiveAtMs` have this instead: when inject started (for faults that write files,
   * when they were in place), which failover counted from then.
   */
  injectedAtMs?: number;
  /** When the revert finished (its call answered). */
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

/**
 * One step of a drill's recovery: a restart (old process stopped -> new one accepting connections, which the
 * reference server does once its model is verified), or a model load a replica made, with the time of each of its
 * steps (read, download, sha256, quantize, session, probes, variant, swap, persist: ms, as the replica measured them).
 */
export interface RecoveryStep {
  replica: string;
  event: string;
  /** 'loaded', a refusal's reason code, or 'accepting' for a restart. */
  outcome: string;
  /** A restart: when the old process stopped, in ms from the load's start. */
  atMs?: number;
  /** A load: when it finished, as the replica's clock says. */
  at?: string;
  totalMs: number;
  steps: Partial<Record<string, number>>;
  /** Size of the model file the load was given. */
  bytes?: number;
  version?: string;
}

export interface Diagnosis {
  /** The first threshold that failed (in file order) or the step that errored, with why. */
  firstFailure?: string;
  replicas: ReplicaDiagnosis[];
  /** The last lines of the gateway's log (absent in journals written before it was kept). */
  gateway?: { logTail: string[] };
}

/**
 * A run of the drill before its last one, that failed or errored and so was run again (`drill run --retries`):
 * what the reports need to show it, and where its own journal is kept.
 */
export interface EarlierAttempt {
  /** 1 for the drill's first run. */
  attempt: number;
  runId: string;
  verdict: Exclude<Verdict, 'pass'>;
  startedAt: string;
  totalMs: number;
  firstFailure?: string;
  /** The thresholds it failed; none when it errored, or failed as a whole (a rollback). */
  failedThresholds: ThresholdResult[];
  /** Its steady state after the faults, when that did not hold. */
  failedSteadyStateAfter?: SteadyStateCheck;
  /** Where its journal.json and index.html are, relative to the drill's report directory: `attempt-1`. */
  dir: string;
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
    /** The gateway, the model server and the protocol the load spoke (journals before it have none). */
    deployment?: { gateway: string; replicas: string; protocol: string };
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
  /**
   * `moments` is absent from journals written before it was recorded: read it with `measuredMoments`. So is
   * `environment` (CPU pressure, harness CPU and send lateness per phase); reports then leave it out.
   */
  measurements?: Omit<Measurements, 'moments'> & { moments?: Moments };
  thresholds: ThresholdResult[];
  diagnosis: Diagnosis;
  /** Each restart and model load of the drill with its steps' times; absent from journals written before it. */
  recovery?: RecoveryStep[];
  records?: JournalRecords;
  /** The runs before this one, each failed or errored, when the drill was run again; this journal is the last run. */
  earlierAttempts?: EarlierAttempt[];
}

/** The load's requests, one column per field; request i is sentMs[i], status[i], ... */
export interface JournalRecords {
  /** ms from the load's start, like every time in the journal. */
  sentMs: number[];
  doneMs: number[];
  /** HTTP status, 0 when no response arrived. */
  status: number[];
  servedBy: (string | null)[];
  wrong: boolean[];
  /** Why a request failed: the transport error or the error code of the body. */
  error: (string | null)[];
  /**
   * How each request counted in the measurements: failed, wrong, late (slower than `sloMs`) or good. Absent from
   * journals written before it was recorded: read it with `requestOutcomes`.
   */
  outcome?: Outcome[];
  sloMs?: number;
  /**
   * How the gateway says it answered each request (the reference gateway's x-failover: none, retry, hedge,
   * breaker, panic), null where it said nothing. Absent when no answer carried it (stock gateways, older journals).
   */
  failover?: (string | null)[];
  /**
   * What the gateway said of its own time per request (Server-Timing): how long it held the request, how long the
   * attempt that answered took, and the replica's own time on it; null where nothing was said. Absent when no
   * answer carried them.
   */
  gatewayMs?: (number | null)[];
  upstreamMs?: (number | null)[];
  replicaMs?: (number | null)[];
}

/** One Server-Timing column, to the microsecond, null where a request had none; nothing when none had it. */
function timingColumn<K extends 'gatewayMs' | 'upstreamMs' | 'replicaMs'>(records: readonly RequestRecord[], key: K): Partial<Record<K, (number | null)[]>> {
  if (!records.some((r) => r[key] !== undefined)) return {};
  return { [key]: records.map((r) => (r[key] === undefined ? null : micro(r[key]!))) } as Partial<Record<K, (number | null)[]>>;
}

/** The journal's columns for the load's records, each request judged against the SLO as the measurements judged it. */
export function journalRecords(records: readonly RequestRecord[], sloMs: number): JournalRecords {
  return {
    sentMs: records.map((r) => micro(r.sentMs)),
    doneMs: records.map((r) => micro(r.doneMs)),
    status: records.map((r) => r.status),
    servedBy: records.map((r) => r.servedBy ?? null),
    wrong: records.map((r) => r.wrong === true),
    error: records.map((r) => r.error ?? null),
    outcome: records.map((r) => outcomeOf(r, sloMs)),
    sloMs,
    ...(records.some((r) => r.failover !== undefined) ? { failover: records.map((r) => r.failover ?? null) } : {}),
    ...timingColumn(records, 'gatewayMs'),
    ...timingColumn(records, 'upstreamMs'),
    ...timingColumn(records, 'replicaMs'),
  };
}

// Journals written before the derived events were recorded (still schemaVersion 1) lack `records.outcome`,
// `measurements.moments` and the faults' `effectiveAtMs`. These readers are the only place that fills them in,
// so every report renders such a journal the same way.

/**
 * How each request counted. An older journal kept no SLO, so its requests are judged again from their columns
 * without lateness: a late answer shows as good.
 */
export function requestOutcomes(journal: Journal): Outcome[] {
  const r = journal.records;
  if (!r) return [];
  return r.outcome ?? r.sentMs.map((sentMs, i) =>
    outcomeOf({ sentMs, doneMs: r.doneMs[i] ?? sentMs, status: r.status[i] ?? 0, wrong: r.wrong[i] ?? false }, Infinity));
}

/** The moment a fault took effect, which failover counts from; an older journal's injection time stands for it. */
export const faultEffectiveAtMs = (f: JournalFault): number | undefined => f.effectiveAtMs ?? f.injectedAtMs;

/** The moments failover and fail-back were counted from and to; for an older journal, as measure() counted them from its faults. */
export function measuredMoments(journal: Journal): Moments | undefined {
  const m = journal.measurements;
  if (!m || m.moments) return m?.moments;
  const injections = journal.faults.flatMap((f) => faultEffectiveAtMs(f) ?? []);
  const reverts = journal.faults.flatMap((f) => (f.revertedAtMs === undefined ? [] : [f.revertedAtMs]));
  const faultAtMs = injections.length > 0 ? Math.min(...injections) : null;
  const lastRevertAtMs = reverts.length > 0 ? Math.max(...reverts) : null;
  const plus = (from: number | null, ms: number | null): number | null => (from === null || ms === null ? null : from + ms);
  return { faultAtMs, failoverEndedAtMs: plus(faultAtMs, m.failoverMs), lastRevertAtMs, failbackAtMs: plus(lastRevertAtMs, m.failbackMs) };
}
