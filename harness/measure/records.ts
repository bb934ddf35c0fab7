import type { Role } from '../../services/common/contract';
import type { Phase } from '../scenario/schema';

/** What happened to one request of the load. Times are milliseconds since the load started. */
export interface RequestRecord {
  /** Position in the send schedule. */
  seq: number;
  /** Index into the request set (which reference scores apply). */
  request: number;
  scheduledMs: number;
  sentMs: number;
  doneMs: number;
  /** HTTP status, or 0 when no response arrived (connection error, client timeout). */
  status: number;
  servedBy?: Role;
  failover?: string;
  /**
   * What the gateway said of its own time (Server-Timing, the reference gateway): how long it held the request
   * (`gateway`), how long the attempt that answered took (`upstream`), and what the replica said of its own time
   * (`replica`, passed on by the gateway). Absent when nothing was said.
   */
  gatewayMs?: number;
  upstreamMs?: number;
  replicaMs?: number;
  /** Transport error or error code from the body. */
  error?: string;
  /** For a 2xx: the largest |score - reference| for the model version the answer claims; Infinity when unjudgeable. */
  maxAbsDelta?: number;
  /** A 2xx whose scores do not match the reference of the model it claims. */
  wrong?: boolean;
}

/** When a fault was in effect, on the same clock as the records. */
export interface FaultWindow {
  /** When the fault took effect, as best seen: failover counts from here. */
  effectiveAtMs: number;
  /**
   * The earliest it may have taken effect (effectiveAtMs less the observation's resolution); default
   * effectiveAtMs. The phases start here, so a request the fault broke is never counted in the baseline.
   */
  earliestAtMs?: number;
  /** Absent when the fault lasted until the end of the load. */
  revertedAtMs?: number;
}

/** The fields that decide how a request counted (all a journal keeps of it is enough to judge it again). */
type Judged = Pick<RequestRecord, 'sentMs' | 'doneMs' | 'status' | 'wrong'>;

export const latencyOf = (r: Pick<RequestRecord, 'sentMs' | 'doneMs'>): number => r.doneMs - r.sentMs;
export const isError = (r: Pick<RequestRecord, 'status'>): boolean => r.status < 200 || r.status >= 300;
export const isWrong = (r: Judged): boolean => !isError(r) && r.wrong === true;
export const isLate = (r: Judged, sloMs: number): boolean => !isError(r) && latencyOf(r) > sloMs;
/**
 * A failure the gateway did not turn into its clean refusal (503 no_healthy_replica): a timeout, a reset,
 * a 5xx from a replica. Failing closed quickly is acceptable when nothing can answer; hanging or garbling is not.
 */
export const isUncleanError = (r: RequestRecord): boolean => isError(r) && !(r.status === 503 && r.error === 'no_healthy_replica');

/**
 * How a request counted, the worst first: failed (no 2xx), wrong (a 2xx whose scores are not the claimed
 * model's), late (a right 2xx slower than the SLO) or good. A wrong answer that was also late counts as wrong.
 */
export type Outcome = 'failed' | 'wrong' | 'late' | 'good';
export const outcomeOf = (r: Judged, sloMs: number): Outcome =>
  isError(r) ? 'failed' : isWrong(r) ? 'wrong' : isLate(r, sloMs) ? 'late' : 'good';
/** Served, correct and on time: what a user would call a good response. */
export const isGood = (r: Judged, sloMs: number): boolean => outcomeOf(r, sloMs) === 'good';

/**
 * The phase a request belongs to. A request still in flight when a fault took effect belongs to the fault
 * window, not to the baseline: a request sent just before a bad deploy and answered by the new weights is the
 * fault's doing. So: baseline = answered before the first fault may have taken effect; fault = in flight at some moment of a fault
 * window; recovery = the rest (sent after a revert, outside every window).
 */
export function phaseOf(r: Pick<RequestRecord, 'sentMs' | 'doneMs'>, faults: readonly FaultWindow[]): Exclude<Phase, 'run'> {
  const startOf = (f: FaultWindow): number => f.earliestAtMs ?? f.effectiveAtMs;
  if (faults.length === 0 || r.doneMs < Math.min(...faults.map(startOf))) return 'baseline';
  const inWindow = faults.some((f) => r.doneMs >= startOf(f) && (f.revertedAtMs === undefined || r.sentMs < f.revertedAtMs));
  return inWindow ? 'fault' : 'recovery';
}
