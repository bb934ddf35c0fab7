// When an operation on a part took effect, as the harness observed it. Every moment here is on the harness's
// own clock (performance.now()), so it compares with the load's records.
import { performance } from 'node:perf_hooks';

export interface Effect {
  /** When the change was seen (performance.now()). It happened no later than this ... */
  atMs: number;
  /** ... and no earlier than resolutionMs before it. */
  resolutionMs: number;
  /** How it was seen, in words a report can show. */
  method: string;
  /** Docker's record of the ended process's exit (State.FinishedAt) on the same clock: a cross-check of atMs. */
  exitedAtMs?: number;
  /**
   * After a restart: settles with when the server's port accepted a TCP connection again (undefined: not seen).
   * A promise, so the fault's window (and fail-back, from its revert) does not wait for it.
   */
  acceptingAgain?: Promise<number | undefined>;
}

/**
 * For an API whose answer means the change is in place (a Toxiproxy toxic, the cgroup freezer): the change
 * happened between the call and its answer.
 */
export async function whenAnswered(method: string, call: () => Promise<unknown>): Promise<Effect> {
  const calledMs = performance.now();
  await call();
  const atMs = performance.now();
  return { atMs, resolutionMs: atMs - calledMs, method };
}

/**
 * A Docker timestamp (RFC 3339 with up to nanoseconds, the host's wall clock) on performance.now()'s clock.
 * Date.parse keeps only milliseconds, so the fraction is read separately. `timeOrigin` is performance.timeOrigin:
 * the wall clock when performance.now() was 0 (a step of the wall clock since then shifts the result by as much).
 */
export function dockerTimeToPerformanceMs(timestamp: string, timeOrigin: number): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) throw new Error(`not a Docker timestamp (RFC 3339): "${timestamp}"`);
  const [, seconds, fraction = '', zone] = match;
  const wholeSecondsMs = Date.parse(`${seconds}${zone}`);
  if (Number.isNaN(wholeSecondsMs)) throw new Error(`not a Docker timestamp (RFC 3339): "${timestamp}"`);
  // Subtracted before the fraction is added: an epoch in ms as a double keeps only ~0.2 µs.
  return wholeSecondsMs - timeOrigin + Number(`0.${fraction || '0'}`) * 1000;
}

/** A Docker call that ends a server's process (kill, stop, restart), with what was observed around it. */
export interface ProcessEndObservations {
  /** What the call was, for the method's words: "docker kill". */
  call: string;
  calledMs: number;
  answeredMs: number;
  /** The port probe's refusal, when it saw one. */
  refused?: Effect;
  /** Docker's State.FinishedAt on the harness's clock, when it could be read. */
  exitedAtMs?: number;
}

/**
 * When the process's end took effect: the port's refusal when the probe saw it (new traffic stops there); else
 * Docker's exit time, when it lies within the call (else it is on another machine's clock); else the call's answer.
 * A process closes its sockets before its exit is reported, so Docker's exit time also bounds the refusal from
 * above: on a busy machine the probe can see the refusal late, and the exit time then narrows it down.
 * Docker's exit time is kept beside the moment as a cross-check.
 */
export function processEnded(o: ProcessEndObservations): Effect {
  const exited = o.exitedAtMs !== undefined && o.exitedAtMs >= o.calledMs && o.exitedAtMs <= o.answeredMs ? o.exitedAtMs : undefined;
  const crossCheck = o.exitedAtMs === undefined ? {} : { exitedAtMs: o.exitedAtMs };
  if (o.refused) {
    const lowerBoundMs = o.refused.atMs - o.refused.resolutionMs;
    if (exited === undefined || exited < lowerBoundMs || exited >= o.refused.atMs) return { ...o.refused, ...crossCheck };
    return { atMs: exited, resolutionMs: exited - lowerBoundMs, method: `${o.refused.method}, seen after Docker's exit time (State.FinishedAt), which the port's closing precedes: placed there`, ...crossCheck };
  }
  if (exited !== undefined) return { atMs: exited, resolutionMs: exited - o.calledMs, method: `Docker's State.FinishedAt (the port probe saw no refusal)`, ...crossCheck };
  return { atMs: o.answeredMs, resolutionMs: o.answeredMs - o.calledMs, method: `the ${o.call} call answered (neither a port refusal nor Docker's exit time on this clock was seen)`, ...crossCheck };
}
