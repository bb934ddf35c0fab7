// Measurements from per-request records only (DESIGN.md "Definitions"): never from sleeps or wall clocks.
import * as hdr from 'hdr-histogram-js';
import type { Consistency } from './consistency';
import type { Drift } from './drift';
import type { Phase } from '../scenario/schema';
import { isError, isGood, isLate, isUncleanError, isWrong, latencyOf, type RequestRecord } from './records';

export interface FaultWindow {
  injectedAtMs: number;
  /** Absent when the fault lasted until the end of the load. */
  revertedAtMs?: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface PhaseMeasurements {
  requests: number;
  errors: number;
  /** Errors other than the gateway's clean 503 no_healthy_replica. */
  uncleanErrors: number;
  wrongAnswers: number;
  lateResponses: number;
  servedBy: Record<string, number>;
  latency: LatencySummary;
}

export interface Measurements {
  /** Primary versus standby called directly on the request set, before the faults. */
  consistency?: Consistency;
  /** Soak drills: memory and latency drift over the run. */
  drift?: Drift;
  /** Injection of the first fault -> first good standby response after which `steadyCount` in a row are good. null: never. */
  failoverMs: number | null;
  /** First bad (failed, wrong or late) request after injection -> last bad one before steady success. */
  unavailabilityMs: number;
  /** Revert of the last fault -> first good primary answer after which `steadyCount` in a row are good. null: never, or no revert during the load. */
  failbackMs: number | null;
  errors: number;
  wrongAnswers: number;
  lateResponses: number;
  phases: Record<Phase, PhaseMeasurements>;
}

export interface MeasureOptions {
  sloMs: number;
  steadyCount: number;
}

/** Latency percentiles from an HDR histogram at microsecond resolution, 3 significant digits. */
export function summarizeLatency(latenciesMs: readonly number[]): LatencySummary {
  if (latenciesMs.length === 0) return { count: 0, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null };
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 'packed' });
  for (const ms of latenciesMs) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  const at = (p: number): number => histogram.getValueAtPercentile(p) / 1000;
  const summary = { count: latenciesMs.length, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: histogram.maxValue / 1000 };
  histogram.destroy();
  return summary;
}

function summarizePhase(records: readonly RequestRecord[], sloMs: number): PhaseMeasurements {
  const servedBy: Record<string, number> = {};
  for (const r of records) if (r.servedBy && !isError(r)) servedBy[r.servedBy] = (servedBy[r.servedBy] ?? 0) + 1;
  return {
    requests: records.length,
    errors: records.filter(isError).length,
    uncleanErrors: records.filter(isUncleanError).length,
    wrongAnswers: records.filter(isWrong).length,
    lateResponses: records.filter((r) => isLate(r, sloMs)).length,
    servedBy,
    latency: summarizeLatency(records.filter((r) => !isError(r)).map(latencyOf)),
  };
}

/**
 * The phase a request belongs to. A request still in flight when a fault took effect belongs to the fault
 * window, not to the baseline: a request sent just before a bad deploy and answered by the new weights is the
 * fault's doing. So: baseline = answered before the first injection; fault = in flight at some moment of a fault
 * window; recovery = the rest (sent after a revert, outside every window).
 */
export function phaseOf(r: Pick<RequestRecord, 'sentMs' | 'doneMs'>, faults: readonly FaultWindow[]): Exclude<Phase, 'run'> {
  if (faults.length === 0 || r.doneMs < Math.min(...faults.map((f) => f.injectedAtMs))) return 'baseline';
  const inWindow = faults.some((f) => r.doneMs >= f.injectedAtMs && (f.revertedAtMs === undefined || r.sentMs < f.revertedAtMs));
  return inWindow ? 'fault' : 'recovery';
}

/** Index of the first record from which `count` consecutive records satisfy `ok`, or -1. */
function firstSteadyRun(records: readonly RequestRecord[], from: number, count: number, ok: (r: RequestRecord) => boolean): number {
  let run = 0;
  for (let i = from; i < records.length; i++) {
    run = ok(records[i] as RequestRecord) ? run + 1 : 0;
    if (run === count) return i - count + 1;
  }
  return -1;
}

export function measure(records: readonly RequestRecord[], faults: readonly FaultWindow[], opts: MeasureOptions): Measurements {
  const bySend = [...records].sort((a, b) => a.seq - b.seq);
  const good = (r: RequestRecord): boolean => isGood(r, opts.sloMs);
  const phases = {
    run: summarizePhase(bySend, opts.sloMs),
    baseline: summarizePhase(bySend.filter((r) => phaseOf(r, faults) === 'baseline'), opts.sloMs),
    fault: summarizePhase(bySend.filter((r) => phaseOf(r, faults) === 'fault'), opts.sloMs),
    recovery: summarizePhase(bySend.filter((r) => phaseOf(r, faults) === 'recovery'), opts.sloMs),
  };
  const result: Measurements = {
    failoverMs: null,
    unavailabilityMs: 0,
    failbackMs: null,
    errors: phases.run.errors,
    wrongAnswers: phases.run.wrongAnswers,
    lateResponses: phases.run.lateResponses,
    phases,
  };
  const first = faults[0];
  if (!first) return result;

  // Requests still in flight at injection are affected by it too, so start from those completing after it.
  const affected = bySend.filter((r) => r.doneMs >= first.injectedAtMs);
  const steadyRunOf = (rs: readonly RequestRecord[], role: string): number =>
    rs.findIndex((r, i) => r.servedBy === role && rs.slice(i, i + opts.steadyCount).filter(good).length === opts.steadyCount);
  const failover = steadyRunOf(affected, 'standby');
  if (failover >= 0) result.failoverMs = (affected[failover] as RequestRecord).doneMs - first.injectedAtMs;

  const revertedAt = Math.max(...faults.map((f) => f.revertedAtMs ?? -Infinity));
  if (Number.isFinite(revertedAt)) {
    const afterRevert = bySend.filter((r) => r.sentMs >= revertedAt);
    const failback = steadyRunOf(afterRevert, 'primary');
    if (failback >= 0) result.failbackMs = (afterRevert[failback] as RequestRecord).doneMs - revertedAt;
  }

  const firstBad = affected.findIndex((r) => !good(r));
  if (firstBad >= 0) {
    const recovered = firstSteadyRun(affected, firstBad, opts.steadyCount, good);
    const lastBadIndex = recovered < 0 ? affected.length - 1 : recovered - 1;
    let lastBad = firstBad;
    for (let i = firstBad; i <= lastBadIndex; i++) if (!good(affected[i] as RequestRecord)) lastBad = i;
    result.unavailabilityMs = (affected[lastBad] as RequestRecord).doneMs - (affected[firstBad] as RequestRecord).sentMs;
  }
  return result;
}
