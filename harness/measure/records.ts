import type { Role } from '../../services/common/contract';

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
  /** Transport error or error code from the body. */
  error?: string;
  /** For a 2xx: the largest |score - reference| for the model version the answer claims; Infinity when unjudgeable. */
  maxAbsDelta?: number;
  /** A 2xx whose scores do not match the reference of the model it claims. */
  wrong?: boolean;
}

export const latencyOf = (r: RequestRecord): number => r.doneMs - r.sentMs;
export const isError = (r: RequestRecord): boolean => r.status < 200 || r.status >= 300;
export const isWrong = (r: RequestRecord): boolean => !isError(r) && r.wrong === true;
export const isLate = (r: RequestRecord, sloMs: number): boolean => !isError(r) && latencyOf(r) > sloMs;
/**
 * A failure the gateway did not turn into its clean refusal (503 no_healthy_replica): a timeout, a reset,
 * a 5xx from a replica. Failing closed quickly is acceptable when nothing can answer; hanging or garbling is not.
 */
export const isUncleanError = (r: RequestRecord): boolean => isError(r) && !(r.status === 503 && r.error === 'no_healthy_replica');
/** Served, correct and on time: what a user would call a good response. */
export const isGood = (r: RequestRecord, sloMs: number): boolean => !isError(r) && !isWrong(r) && !isLate(r, sloMs);
