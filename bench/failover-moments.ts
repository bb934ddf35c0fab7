// What one fault round of the gateway bench measured, from its per-request records and the moments the fault
// took effect: the figures of the table, and when each step between the fault and the failover happened.
import type { KillTimeline } from './fault-process';
import type { BreakerEvent } from './gateway-process';
import { percentile } from './stats';

export interface Sample {
  scheduledAt: number;
  /** When the load generator actually sent it: later than scheduled when its own event loop was held up. */
  sentAt: number;
  endAt: number;
  status: number;
  servedBy: string | null;
  /** The gateway's x-failover header: none, retry, hedge, breaker or panic. */
  failover: string | null;
}

export interface RoundFigures {
  requests: number;
  failed: number;
  p50FaultMs: number;
  p99FaultMs: number;
  failoverMs: number;
  failbackMs: number;
  failedAfterRevert: number;
}

/** Milliseconds after the fault was injected (NaN: did not happen, or does not apply to this fault). */
export interface FaultMoments {
  /** The primary's port refuses connections: for a SIGKILL, its sockets are closed. */
  refusedMs: number;
  /** The killed process's parent saw it exit. */
  exitMs: number;
  /** The gateway logged the primary's breaker open. */
  breakerMs: number;
  /** The first successful answer from the standby ended. */
  firstStandbyMs: number;
  /** Requests sent before the fault and answered after it, and when the last of them ended. */
  inFlight: number;
  lastInFlightMs: number;
  /** How the gateway obtained the successful answers that ended between the fault and the failover. */
  modes: Record<string, number>;
  /** The longest the load generator sent a request late between the fault and the failover (its own stall). */
  sendLatenessMs: number;
  /** Resident memory of the killed primary, MB. */
  rssMb: number;
  /** Why the gateway opened the primary's breaker. */
  breakerReason: string;
}

const ok = (s: Sample) => s.status === 200;

/**
 * Failover: injection to the end of the first standby answer (in sending order) after which `inARow` answers
 * in a row succeed, as the drills define it. Fail-back: revert to the first answer from the primary.
 */
export function roundFigures(samples: readonly Sample[], injectAt: number, revertAt: number, inARow: number): RoundFigures {
  const during = samples.filter((s) => s.scheduledAt >= injectAt && s.scheduledAt < revertAt).map((s) => s.endAt - s.scheduledAt);
  const firstPrimary = samples.find((s) => s.scheduledAt >= revertAt && s.servedBy === 'primary');
  return {
    requests: samples.length,
    failed: samples.filter((s) => !ok(s)).length,
    p50FaultMs: percentile(during, 50),
    p99FaultMs: percentile(during, 99),
    failoverMs: failoverEnd(samples, injectAt, inARow) - injectAt,
    failbackMs: firstPrimary ? firstPrimary.endAt - revertAt : Number.NaN,
    failedAfterRevert: samples.filter((s) => s.scheduledAt >= revertAt && !ok(s)).length,
  };
}

function failoverEnd(samples: readonly Sample[], injectAt: number, inARow: number): number {
  const afterInject = samples.filter((s) => s.endAt >= injectAt);
  const recovered = afterInject.findIndex(
    (s, i) => s.servedBy === 'standby' && i + inARow <= afterInject.length && afterInject.slice(i, i + inARow).every(ok),
  );
  return recovered === -1 ? Number.NaN : afterInject[recovered]!.endAt;
}

/** The steps between the fault and the failover; `kill` only for a SIGKILL (a refusal takes effect when applied). */
export function faultMoments(samples: readonly Sample[], injectAt: number, inARow: number, breakerEvents: readonly BreakerEvent[], kill?: KillTimeline): FaultMoments {
  const failoverAt = failoverEnd(samples, injectAt, inARow);
  const inFlight = samples.filter((s) => s.scheduledAt < injectAt && s.endAt >= injectAt);
  const answered = samples.filter((s) => ok(s) && s.endAt >= injectAt).sort((a, b) => a.endAt - b.endAt);
  const modes: Record<string, number> = {};
  for (const s of answered.filter((a) => a.endAt <= failoverAt)) modes[s.failover ?? '?'] = (modes[s.failover ?? '?'] ?? 0) + 1;
  const breaker = breakerEvents.find((e) => e.role === 'primary' && e.breaker === 'open' && e.at >= injectAt);
  const since = (at: number | undefined) => (at === undefined ? Number.NaN : at - injectAt);
  return {
    refusedMs: kill ? kill.refusedAt - injectAt : 0,
    exitMs: since(kill?.exitAt),
    breakerMs: since(breaker?.at),
    firstStandbyMs: since(answered.find((s) => s.servedBy === 'standby')?.endAt),
    inFlight: inFlight.length,
    lastInFlightMs: inFlight.length ? Math.max(...inFlight.map((s) => s.endAt)) - injectAt : Number.NaN,
    modes,
    sendLatenessMs: Math.max(0, ...samples.filter((s) => s.scheduledAt >= injectAt && s.scheduledAt <= failoverAt).map((s) => s.sentAt - s.scheduledAt)),
    rssMb: kill?.rssMb ?? Number.NaN,
    breakerReason: breaker?.reason ?? 'not opened',
  };
}
