// Measurements from per-request records only (DESIGN.md "Definitions"): never from sleeps or wall clocks.
import type { Consistency } from './consistency';
import type { Drift } from './drift';
import type { EnvironmentMeasurements } from './environment';
import type { Phase } from '../scenario/schema';
import { summarizeLatency, type LatencySummary } from './latency';
import { isError, isGood, isLate, isUncleanError, isWrong, latencyOf, phaseOf, type FaultWindow, type RequestRecord } from './records';
import { median, micro } from './numbers';

// measure()'s parameter type: callers name it from here.
export type { FaultWindow };

export interface PhaseMeasurements {
  requests: number;
  errors: number;
  /** Errors other than the gateway's clean 503 no_healthy_replica. */
  uncleanErrors: number;
  wrongAnswers: number;
  lateResponses: number;
  servedBy: Record<string, number>;
  latency: LatencySummary;
  /** Where the phase's slowest 1 % of answers spent their time, when the gateway said (Server-Timing). */
  slowest?: SlowestAnswers;
}

/**
 * The slowest 1 % of the phase's answers (at least one) among those the gateway timed, and where their time went,
 * each part a median over them (so the parts need not add up to the median latency exactly).
 */
export interface SlowestAnswers {
  answers: number;
  latencyMs: number;
  /** The attempt that answered, from its dispatch to its last byte (connection, replica, the link's faults). */
  attemptMs: number | null;
  /** Of that attempt, the replica's own time, when it said (Server-Timing `replica`, from its headers read to its answer). */
  replicaMs?: number | null;
  /** In the gateway before that attempt answered: failed attempts, the wait before a hedge. */
  beforeAttemptMs: number | null;
  /** Outside the gateway's handling: the client, the network, and the gateway's accept queue and event loop before it read the request. */
  outsideMs: number;
}

/** The moments (ms from the load's start) the failover and fail-back figures are counted from and to. null: did not happen. */
export interface Moments {
  /** The injection failover and unavailability count from: the earliest fault that took effect. */
  faultAtMs: number | null;
  /** The standby answer that ended the failover: faultAtMs + failoverMs, unless that answer came before faultAtMs (failover 0). */
  failoverEndedAtMs: number | null;
  /** The last revert during the load, which fail-back counts from. */
  lastRevertAtMs: number | null;
  /** The primary answer that ended the fail-back: lastRevertAtMs + failbackMs. */
  failbackAtMs: number | null;
}

export interface Measurements {
  /** Primary versus standby called directly on the request set, before the faults. */
  consistency?: Consistency;
  /** Soak drills: memory and latency drift over the run. */
  drift?: Drift;
  /** CPU pressure, the harness's own CPU and the load generator's lateness, per phase. */
  environment?: EnvironmentMeasurements;
  /** The first fault taking effect -> first good standby response after which `steadyCount` in a row are good. null: never. */
  failoverMs: number | null;
  /**
   * The same answer counted from the earliest moment the fault may have taken effect (its effective moment minus
   * the resolution it was seen with): the failover took at most this long. Absent in journals from before it.
   */
  failoverAtMostMs?: number | null;
  /** First bad (failed, wrong or late) request after injection -> last bad one before steady success. */
  unavailabilityMs: number;
  /** Revert of the last fault -> first good primary answer after which `steadyCount` in a row are good. null: never, or no revert during the load. */
  failbackMs: number | null;
  moments: Moments;
  errors: number;
  wrongAnswers: number;
  lateResponses: number;
  phases: Record<Phase, PhaseMeasurements>;
}

export interface MeasureOptions {
  sloMs: number;
  steadyCount: number;
}

function summarizePhase(records: readonly RequestRecord[], sloMs: number): PhaseMeasurements {
  const servedBy: Record<string, number> = {};
  for (const r of records) if (r.servedBy && !isError(r)) servedBy[r.servedBy] = (servedBy[r.servedBy] ?? 0) + 1;
  const answers = records.filter((r) => !isError(r));
  const latency = summarizeLatency(answers.map(latencyOf));
  const slowest = slowestAnswers(answers);
  return {
    requests: records.length,
    errors: records.filter(isError).length,
    uncleanErrors: records.filter(isUncleanError).length,
    wrongAnswers: records.filter(isWrong).length,
    lateResponses: records.filter((r) => isLate(r, sloMs)).length,
    servedBy,
    latency,
    ...(slowest ? { slowest } : {}),
  };
}

function slowestAnswers(answers: readonly RequestRecord[]): SlowestAnswers | undefined {
  const timed = answers.filter((r) => r.gatewayMs !== undefined).sort((a, b) => latencyOf(b) - latencyOf(a));
  if (timed.length === 0) return undefined;
  const slow = timed.slice(0, Math.ceil(timed.length / 100));
  const attempted = slow.filter((r) => r.upstreamMs !== undefined);
  const medianOr = (values: number[]): number | null => (values.length === 0 ? null : micro(median(values)));
  return {
    answers: slow.length,
    latencyMs: micro(median(slow.map(latencyOf))),
    attemptMs: medianOr(attempted.map((r) => r.upstreamMs!)),
    ...(attempted.some((r) => r.replicaMs !== undefined) ? { replicaMs: medianOr(attempted.flatMap((r) => (r.replicaMs === undefined ? [] : [r.replicaMs]))) } : {}),
    beforeAttemptMs: medianOr(attempted.map((r) => r.gatewayMs! - r.upstreamMs!)),
    outsideMs: micro(median(slow.map((r) => latencyOf(r) - r.gatewayMs!))),
  };
}

/**
 * Index of the first record at or after `from` that `starts` accepts and from which `count` records in a row are
 * `good` (itself included), or -1.
 */
function steadyRun(records: readonly RequestRecord[], count: number, good: (r: RequestRecord) => boolean, from = 0, starts = good): number {
  // goodFrom[i]: how many records in a row from i are good.
  const goodFrom = new Array<number>(records.length + 1).fill(0);
  for (let i = records.length - 1; i >= from; i--) goodFrom[i] = good(records[i] as RequestRecord) ? (goodFrom[i + 1] as number) + 1 : 0;
  for (let i = from; i < records.length; i++) if ((goodFrom[i] as number) >= count && starts(records[i] as RequestRecord)) return i;
  return -1;
}

/** First bad request after injection (its send) -> last bad one before the steady run that ends the outage (its answer). */
function unavailability(affected: readonly RequestRecord[], count: number, good: (r: RequestRecord) => boolean): number {
  const firstBad = affected.findIndex((r) => !good(r));
  if (firstBad < 0) return 0;
  const recovered = steadyRun(affected, count, good, firstBad);
  const lastBadIndex = recovered < 0 ? affected.length - 1 : recovered - 1;
  let lastBad = firstBad;
  for (let i = firstBad; i <= lastBadIndex; i++) if (!good(affected[i] as RequestRecord)) lastBad = i;
  return (affected[lastBad] as RequestRecord).doneMs - (affected[firstBad] as RequestRecord).sentMs;
}

/** The answer from `role` that starts a steady run among `records`, or null. */
function steadyAnswerFrom(records: readonly RequestRecord[], role: string, count: number, good: (r: RequestRecord) => boolean): RequestRecord | null {
  return records[steadyRun(records, count, good, 0, (r) => r.servedBy === role)] ?? null;
}

export function measure(records: readonly RequestRecord[], faults: readonly FaultWindow[], opts: MeasureOptions): Measurements {
  const bySend = [...records].sort((a, b) => a.seq - b.seq);
  const good = (r: RequestRecord): boolean => isGood(r, opts.sloMs);
  const inPhase = (phase: Phase): RequestRecord[] => bySend.filter((r) => phaseOf(r, faults) === phase);
  const phases = {
    run: summarizePhase(bySend, opts.sloMs),
    baseline: summarizePhase(inPhase('baseline'), opts.sloMs),
    fault: summarizePhase(inPhase('fault'), opts.sloMs),
    recovery: summarizePhase(inPhase('recovery'), opts.sloMs),
  };
  const result: Measurements = {
    failoverMs: null,
    unavailabilityMs: 0,
    failbackMs: null,
    moments: { faultAtMs: null, failoverEndedAtMs: null, lastRevertAtMs: null, failbackAtMs: null },
    errors: phases.run.errors,
    wrongAnswers: phases.run.wrongAnswers,
    lateResponses: phases.run.lateResponses,
    phases,
  };
  if (faults.length === 0) return result;

  const faultAtMs = Math.min(...faults.map((f) => f.effectiveAtMs));
  // Requests still in flight when the fault may first have taken effect are affected by it too, so start from
  // those completing after that.
  const earliestAtMs = Math.min(...faults.map((f) => f.earliestAtMs ?? f.effectiveAtMs));
  const affected = bySend.filter((r) => r.doneMs >= earliestAtMs);
  const failover = steadyAnswerFrom(affected, 'standby', opts.steadyCount, good);
  result.moments.faultAtMs = faultAtMs;
  result.moments.failoverEndedAtMs = failover?.doneMs ?? null;
  // The effective moment is the latest the fault can have acted: a standby that took over before it (within the
  // moment's resolution) failed over in no time as far as can be seen, never in negative time; the time from the
  // earliest moment bounds it from above.
  result.failoverMs = failover ? Math.max(0, failover.doneMs - faultAtMs) : null;
  result.failoverAtMostMs = failover ? failover.doneMs - earliestAtMs : null;
  result.unavailabilityMs = unavailability(affected, opts.steadyCount, good);

  const lastRevertAtMs = Math.max(...faults.map((f) => f.revertedAtMs ?? -Infinity));
  if (Number.isFinite(lastRevertAtMs)) {
    const failback = steadyAnswerFrom(bySend.filter((r) => r.sentMs >= lastRevertAtMs), 'primary', opts.steadyCount, good);
    result.moments.lastRevertAtMs = lastRevertAtMs;
    result.moments.failbackAtMs = failback?.doneMs ?? null;
    result.failbackMs = failback ? failback.doneMs - lastRevertAtMs : null;
  }
  return result;
}
