import type { FailoverMode, RouterMetrics } from './metrics';
import type { Answer, Failure, Upstream } from './upstream';

export interface RouteOptions {
  attemptTimeoutMs: number;
  /** Whether to hedge on the next replica when the first has not answered after its hedge delay. */
  hedging: boolean;
  metrics: RouterMetrics;
  /** Every replica, up or not: a timeout on the last one up is judged more leniently. */
  all: readonly Upstream[];
}

export interface Routed {
  /** The first valid answer, with the replica that gave it and how it was obtained; null when none did. */
  answer: { upstream: Upstream; result: Answer; mode: FailoverMode } | null;
  /** Attempts started. */
  attempts: number;
  /** One line per failed attempt, for the 503 message. */
  failures: string[];
}

interface Attempt {
  upstream: Upstream;
  how: 'first' | 'retry' | 'hedge';
  controller: AbortController;
  done: boolean;
}

/**
 * Sends one rank request to the candidates in preference order and settles on the first valid answer.
 * The next candidate is tried at once when an attempt fails (retry), or, while the first is still
 * outstanding, after the first replica's hedge delay (hedge). The attempt that loses the race is aborted:
 * an original overtaken by its hedge counts against its replica as `slow`, a losing hedge does not count.
 */
export function routeRank(
  candidates: readonly Upstream[],
  payload: Buffer,
  candidateCount: number | undefined,
  opts: RouteOptions,
): Promise<Routed> {
  if (candidates.length === 0) return Promise.resolve({ answer: null, attempts: 0, failures: [] });
  return new Promise((resolve) => {
    const attempts: Attempt[] = [];
    const failures: string[] = [];
    let settled = false;
    let hedgeTimer: NodeJS.Timeout | undefined;

    const settle = (answer: Routed['answer']) => {
      settled = true;
      clearTimeout(hedgeTimer);
      resolve({ answer, attempts: attempts.length, failures });
    };

    const startNext = (how: Attempt['how']) => {
      const upstream = candidates[attempts.length]!;
      const attempt: Attempt = { upstream, how, controller: new AbortController(), done: false };
      attempts.push(attempt);
      const started = performance.now();
      const isLastResort = () => !opts.all.some((u) => u !== upstream && u.state.isUp);
      void upstream.rank(payload, candidateCount, opts.attemptTimeoutMs, { cancel: attempt.controller.signal, isLastResort }).then((result) => {
        attempt.done = true;
        opts.metrics.attempt(upstream.role, result, (performance.now() - started) / 1000);
        if (settled) return;
        if (result.outcome === 'answer') {
          cancelOthers(attempt);
          if (attempts.length > 1 && attempts[1]!.how === 'hedge') {
            opts.metrics.hedge(attempts[1]!.upstream.role, attempt.how === 'hedge' ? 'hedge' : 'original');
          }
          settle({ upstream, result, mode: modeOf(attempt) });
          return;
        }
        failures.push(`${upstream.role} (${result.kind}): ${result.message}`);
        clearTimeout(hedgeTimer);
        if (attempts.length < candidates.length) startNext('retry');
        else if (attempts.every((a) => a.done)) {
          if (attempts[1]?.how === 'hedge') opts.metrics.hedge(attempts[1].upstream.role, 'none');
          settle(null);
        }
      });
    };

    const cancelOthers = (winner: Attempt) => {
      for (const other of attempts) {
        if (other === winner || other.done) continue;
        const overtaken = attempts.indexOf(other) < attempts.indexOf(winner);
        const reason: Failure = overtaken
          ? { outcome: 'failure', kind: 'slow', message: `no answer before the ${winner.upstream.role}'s hedge answered` }
          : { outcome: 'failure', kind: 'cancelled', message: `the ${winner.upstream.role} answered first` };
        other.controller.abort(reason);
      }
    };

    startNext('first');
    if (opts.hedging && candidates.length > 1) {
      // setImmediate: read an answer that arrived during a stall of the gateway before hedging (see Upstream).
      hedgeTimer = setTimeout(() => {
        setImmediate(() => {
          if (!settled && attempts.length === 1 && candidates[1]!.state.isUp) startNext('hedge');
        });
      }, candidates[0]!.hedgeDelay.delayMs());
    }
  });
}

function modeOf(attempt: Attempt): FailoverMode {
  if (attempt.how !== 'first') return attempt.how;
  return attempt.upstream.role === 'primary' ? 'none' : 'breaker';
}
