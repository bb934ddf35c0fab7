// Watches a server's port with one TCP connect at a time, to see the moment it stops (or starts) accepting.
// A SIGKILLed process goes on accepting connections until its memory is torn down and its sockets close; the
// refusal of a connect is the moment new traffic to it stops. Connecting to the container's own address (not a
// published port) gets the kernel's refusal directly, with no proxy in between to accept first.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Effect } from '../effect';

export interface PortAddress {
  host: string;
  port: number;
}

/** One connect: accepted, refused (any socket error) or no answer within the attempt's timeout. */
export interface Attempt {
  startedMs: number;
  endedMs: number;
  outcome: 'accepted' | 'refused' | 'no-answer';
}

export type PortState = 'refusing' | 'accepting';

/** 1 ms between connects for this long, then FINE_INTERVAL_MS × 20: the probe stays cheap when the change is slow. */
const FINE_MS = 300;
const FINE_INTERVAL_MS = 1;
/** A connect on loopback or a bridge takes well under 1 ms; one without an answer this long is not an answer. */
const ATTEMPT_TIMEOUT_MS = 50;

const shows = (a: Attempt, want: PortState): boolean => (want === 'refusing' ? a.outcome === 'refused' : a.outcome === 'accepted');
const showsOther = (a: Attempt, want: PortState): boolean => (want === 'refusing' ? a.outcome === 'accepted' : a.outcome !== 'accepted');

/**
 * The first attempt that shows `want`, as an effect: seen at its end, and no earlier than the start of the last
 * attempt before it that showed the other state (or `sinceMs`, when the very first attempt showed it).
 */
export function firstChange(attempts: readonly Attempt[], want: PortState, sinceMs: number, method: string): Effect | undefined {
  let lowerBoundMs = sinceMs;
  for (const a of attempts) {
    if (shows(a, want)) return { atMs: a.endedMs, resolutionMs: a.endedMs - lowerBoundMs, method };
    if (showsOther(a, want)) lowerBoundMs = a.startedMs;
  }
  return undefined;
}

function attempt({ host, port }: PortAddress): Promise<Attempt> {
  const startedMs = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const end = (outcome: Attempt['outcome']): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ startedMs, endedMs: performance.now(), outcome });
    };
    const timer = setTimeout(() => end('no-answer'), ATTEMPT_TIMEOUT_MS);
    socket.once('connect', () => end('accepted'));
    socket.once('error', () => end('refused'));
  });
}

export interface PortWatch {
  /** Stops watching after at most `graceMs` more; resolves to the change, or undefined when none was seen. */
  settle(graceMs: number): Promise<Effect | undefined>;
}

/**
 * Starts probing `address` (once it is known) until it shows `want`, for at most `maxMs` unless settled sooner;
 * the change is bounded below by `sinceMs`. An address that cannot be read means nothing was seen.
 */
export function watchPort(address: Promise<PortAddress>, want: PortState, sinceMs: number, maxMs: number): PortWatch {
  let deadlineMs = sinceMs + maxMs;
  const seen = (async (): Promise<Effect | undefined> => {
    const target = await address.catch(() => undefined);
    if (!target) return undefined;
    const method = `a TCP connect from the harness to ${target.host}:${target.port} was ${want === 'refusing' ? 'refused' : 'accepted'} (probed every ${FINE_INTERVAL_MS} ms, then every ${FINE_INTERVAL_MS * 20} ms after ${FINE_MS} ms)`;
    const attempts: Attempt[] = [];
    while (performance.now() < deadlineMs) {
      const a = await attempt(target);
      attempts.push(a);
      if (shows(a, want)) return firstChange(attempts, want, sinceMs, method);
      await sleep(a.endedMs - sinceMs < FINE_MS ? FINE_INTERVAL_MS : FINE_INTERVAL_MS * 20);
    }
    return undefined;
  })();
  return {
    settle(graceMs) {
      deadlineMs = Math.min(deadlineMs, performance.now() + graceMs);
      return seen;
    },
  };
}
