import type { FailoverMode, RouterMetrics } from './metrics';
import type { RankCall } from './rank-request';
import type { Answer, AttemptResult, CancelAttempt, Failure, Upstream } from './upstream';

export interface RouteOptions {
  attemptTimeoutMs: number;
  /** The whole request's budget from its arrival: the last candidate's attempt may use what remains of it. */
  requestTimeoutMs: number;
  /** Whether to hedge on the next replica when the first has not answered after its hedge delay. */
  hedging: boolean;
  metrics: RouterMetrics;
  /** Every replica, up or not: a timeout on the last one up is judged more leniently. */
  all: readonly Upstream[];
  /** The candidates are down, tried because none is up (panic routing): their answers are reported as `panic`. */
  panic: boolean;
}

export interface Routed {
  /**
   * The first valid answer, with the replica that gave it, how it was obtained, and how long its attempt took
   * (from its dispatch to its last byte); null when none did.
   */
  answer: { upstream: Upstream; result: Answer; mode: FailoverMode; attemptMs: number } | null;
  /** Attempts started. */
  attempts: number;
  /** One line per failed attempt, for the 503 message. */
  failures: string[];
}

interface Attempt {
  upstream: Upstream;
  how: 'first' | 'retry' | 'hedge';
  cancel: CancelAttempt | null;
  done: boolean;
}

/**
 * Sends one rank call (/v1/rank or v2 infer) to the candidates in preference order and settles on the first valid answer.
 * The next candidate is tried at once when an attempt fails (retry), or, while the first is still
 * outstanding, after the first replica's hedge delay (hedge). The attempt that loses the race is cancelled
 * (see cancelOthers): an original overtaken by its hedge counts against its replica as `slow`, a losing hedge
 * does not count.
 *
 * `done` is called once, synchronously from the socket event that decided the outcome: an answer is written
 * to the client before the losing attempt is cancelled and before any metric is counted.
 */
export function routeRank(
  candidates: readonly Upstream[],
  call: RankCall,
  opts: RouteOptions,
  /** performance.now() when the client's request arrived: the request budget counts from here. */
  arrivedAt: number,
  done: (routed: Routed) => void,
): void {
  if (candidates.length === 0) return done({ answer: null, attempts: 0, failures: [] });
  new RankRoute(candidates, call, opts, arrivedAt + opts.requestTimeoutMs, done).start();
}

/** One client request's attempts (a class rather than closures: this runs for every request). */
class RankRoute {
  private readonly attempts: Attempt[] = [];
  private readonly failures: string[] = [];
  private settled = false;
  private hedgeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly candidates: readonly Upstream[],
    private readonly call: RankCall,
    private readonly opts: RouteOptions,
    /** performance.now() at which the request's budget ends. */
    private readonly deadline: number,
    private readonly done: (routed: Routed) => void,
  ) {}

  start(): void {
    this.startNext('first');
    if (!this.settled && this.opts.hedging && this.candidates.length > 1) {
      // Whole milliseconds: Node keeps one timer list per duration, and its timers fire on a millisecond clock anyway.
      const delayMs = Math.ceil(this.candidates[0]!.hedgeDelay.delayMs());
      // setImmediate: read an answer that arrived during a stall of the gateway before hedging (see Upstream).
      this.hedgeTimer = setTimeout(() => setImmediate(() => this.hedge()), delayMs);
    }
  }

  private hedge(): void {
    if (!this.settled && this.attempts.length === 1 && this.candidates[1]!.state.isUp) this.startNext('hedge');
  }

  private startNext(how: Attempt['how']): void {
    const upstream = this.candidates[this.attempts.length]!;
    const timeoutMs = this.attemptTimeoutMs();
    const attempt: Attempt = { upstream, how, cancel: null, done: false };
    this.attempts.push(attempt);
    const started = performance.now();
    const { all } = this.opts;
    attempt.cancel = upstream.rank(
      this.call,
      timeoutMs,
      () => !all.some((u) => u !== upstream && u.state.isUp),
      (result) => this.onResult(attempt, result, started),
    );
  }

  /**
   * The next attempt's deadline: the attempt timeout, so that a silent replica hands over to the next one soon;
   * the last candidate has no one to hand over to, and keeps its attempt open for the rest of the request's
   * budget, since a late answer within the client's deadline beats a 503. (A replica busy reloading or
   * verifying a model, on a loaded machine, answers after the attempt timeout and is not failing.)
   */
  private attemptTimeoutMs(): number {
    const { attemptTimeoutMs } = this.opts;
    if (this.attempts.length < this.candidates.length - 1) return attemptTimeoutMs;
    return Math.max(attemptTimeoutMs, Math.ceil(this.deadline - performance.now()));
  }

  private onResult(attempt: Attempt, result: AttemptResult, started: number): void {
    try {
      this.handleResult(attempt, result, started);
    } catch (e) {
      // A bug here must not leave the client without an answer: it runs inside undici's socket callbacks.
      if (!this.settled) {
        this.failures.push(`the gateway failed: ${(e as Error).message}`);
        this.settle(null);
      }
    }
  }

  private handleResult(attempt: Attempt, result: AttemptResult, started: number): void {
    attempt.done = true;
    const { metrics } = this.opts;
    if (this.settled) {
      metrics.attempt(attempt.upstream.role, result, (performance.now() - started) / 1000);
      return;
    }
    if (result.outcome === 'answer') {
      const attemptMs = performance.now() - started;
      this.settle({ upstream: attempt.upstream, result, mode: this.opts.panic ? 'panic' : modeOf(attempt), attemptMs });
      metrics.attempt(attempt.upstream.role, result, attemptMs / 1000);
      this.cancelOthers(attempt);
      const second = this.attempts[1];
      if (second?.how === 'hedge') metrics.hedge(second.upstream.role, attempt.how === 'hedge' ? 'hedge' : 'original');
      return;
    }
    metrics.attempt(attempt.upstream.role, result, (performance.now() - started) / 1000);
    this.failures.push(`${attempt.upstream.role} (${result.kind}): ${result.message}`);
    clearTimeout(this.hedgeTimer);
    if (this.attempts.length < this.candidates.length) this.startNext('retry');
    else if (this.attempts.every((a) => a.done)) {
      const second = this.attempts[1];
      if (second?.how === 'hedge') metrics.hedge(second.upstream.role, 'none');
      this.settle(null);
    }
  }

  private settle(answer: Routed['answer']): void {
    this.settled = true;
    try {
      this.done({ answer, attempts: this.attempts.length, failures: this.failures });
    } finally {
      clearTimeout(this.hedgeTimer);
    }
  }

  /**
   * Cancels the attempts still out once one answered: an original overtaken by its hedge was `slow`. A
   * cancelled request may still finish within its replica's hedge delay (about its p95 latency), unread, to
   * keep its connection: aborting it closes the connection, and the next request would pay for a new one
   * (when the standby must take all traffic at once, for instance). A request still out after that is aborted.
   */
  private cancelOthers(winner: Attempt): void {
    const { attempts } = this;
    for (const other of attempts) {
      if (other === winner || other.done) continue;
      const overtaken = attempts.indexOf(other) < attempts.indexOf(winner);
      const reason: Failure = overtaken
        ? { outcome: 'failure', kind: 'slow', message: `no answer before the ${winner.upstream.role}'s hedge answered` }
        : { outcome: 'failure', kind: 'cancelled', message: `the ${winner.upstream.role} answered first` };
      other.cancel?.(reason, other.upstream.hedgeDelay.delayMs());
    }
  }
}

function modeOf(attempt: Attempt): FailoverMode {
  if (attempt.how !== 'first') return attempt.how;
  return attempt.upstream.role === 'primary' ? 'none' : 'breaker';
}
