import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhenResult, type CircuitBreakerPolicy } from 'cockatiel';
import type { Role } from '../common/contract';

/**
 * How an attempt against a replica failed; decides how hard the replica is penalised.
 * `slow`: it was overtaken by a hedge on the other replica. `cancelled`: it was the hedge and lost the race,
 * which is no fault of the replica's.
 */
export type FailureKind = 'connection' | 'timeout' | 'server_error' | 'invalid_body' | 'wrong_model' | 'slow' | 'cancelled';

/**
 * Why a replica is out of traffic. `request_failures`: client requests failed on it (refused, reset, timed out,
 * 5xx, overtaken by hedges), which a stall of the gateway itself can cause as well. `not_ready`: its own /readyz
 * said it is not ready, or serves a model outside the allowed set. `wrong_answers`: its last answer had an
 * invalid body or a model outside the allowed set.
 */
export type DownReason = 'request_failures' | 'not_ready' | 'wrong_answers';

/** One /readyz probe's verdict; `answered`: the replica itself answered (a failed connection or a timeout says less). */
export interface ProbeResult {
  healthy: boolean;
  message: string;
  answered: boolean;
}

/** Failures the breaker counts towards failureThreshold; `slow` has its own threshold, `cancelled` none. */
const COUNTED: ReadonlySet<FailureKind> = new Set(['connection', 'timeout', 'server_error', 'invalid_body', 'wrong_model']);
/** A replica that fails again within the flap window must pass twice as many probes, up to this factor. */
const MAX_FLAP_FACTOR = 8;

export interface HealthThresholds {
  /** Consecutive failures (5xx, invalid or wrong-model answers) that open the breaker. */
  failureThreshold: number;
  /** Consecutive lost hedges (overtaken by the other replica, no answer in between) that open the breaker. */
  slowThreshold: number;
  /** Consecutive healthy /readyz probes that close an open breaker. */
  recoveryThreshold: number;
  /** A replica that fails again within this many ms of recovering is flapping: its next recovery needs twice the probes. */
  flapWindowMs: number;
}

export interface ReplicaSnapshot {
  role: Role;
  url: string;
  state: 'up' | 'down';
  breaker: 'closed' | 'open';
  consecutiveFailures: number;
  consecutiveHealthyProbes: number;
  /** Healthy probes the replica needs to recover; grows while it flaps. */
  requiredHealthyProbes: number;
  /** Null while up. */
  downReason: DownReason | null;
  /** Whether panic routing may try it while no replica is up (see ReplicaState.panicEligible). */
  panicEligible: boolean;
  /** The last failed client request; probes never overwrite it. */
  lastError: { kind: FailureKind; message: string; at: string } | null;
  lastProbe: (ProbeResult & { at: string }) | null;
}

export interface ReplicaStateChange {
  role: Role;
  url: string;
  state: 'up' | 'down';
  breaker: 'closed' | 'open';
  reason: string;
}

interface Outcome {
  outcome: 'answer' | 'failure';
  kind?: FailureKind;
}

/** An attempt's outcome with whether the breaker counts it as a failure. */
interface Judged<R extends Outcome> {
  result: R;
  counted: boolean;
}

/**
 * One replica's circuit breaker (cockatiel, counting consecutive failures). Real traffic opens it; only
 * /readyz probes close it, never a trial client request: an opened breaker is held open (isolated) until the
 * replica passes `requiredHealthyProbes` probes in a row, so a failed replica costs no client request until it
 * has proven itself healthy again.
 */
export class ReplicaState {
  private readonly counter: ConsecutiveBreaker;
  private readonly breaker: CircuitBreakerPolicy;
  private hold: { dispose(): void } | undefined;
  private consecutiveHealthyProbes = 0;
  private consecutiveSlow = 0;
  private requiredHealthyProbes: number;
  /** When it last recovered from a failure; the flap window counts from here (see holdOpen). */
  private upSince = Number.NEGATIVE_INFINITY;
  /** The breaker is open only because hedges kept answering first: the replica was slower, not failing. */
  private openForSlowness = false;
  private lastError: ReplicaSnapshot['lastError'] = null;
  private lastProbe: ReplicaSnapshot['lastProbe'] = null;
  /** Its /readyz answered that it is not ready (or serves a model outside the allowed set) since it last took traffic. */
  private saidNotReady = false;
  /** Its last answer to a rank request was invalid or from a model outside the allowed set. */
  private answeredWrongly = false;

  constructor(
    readonly role: Role,
    readonly url: string,
    private readonly thresholds: HealthThresholds,
    private readonly onChange: (change: ReplicaStateChange) => void,
  ) {
    this.requiredHealthyProbes = thresholds.recoveryThreshold;
    this.counter = new ConsecutiveBreaker(thresholds.failureThreshold);
    this.breaker = circuitBreaker(
      handleWhenResult((r) => (r as Judged<Outcome>).counted),
      // Never half-open on a timer: recovery is the probes' decision (see holdOpen).
      { breaker: this.counter, halfOpenAfter: Number.POSITIVE_INFINITY },
    );
    this.breaker.onBreak((reason) => {
      if ('isolated' in reason) return;
      const last = 'value' in reason ? (reason.value as Judged<Outcome & { message?: string }>).result : undefined;
      this.holdOpen(`${thresholds.failureThreshold} consecutive failures, the last ${last?.kind}: ${last?.message}`);
    });
  }

  get isUp(): boolean {
    return this.breaker.state === CircuitState.Closed;
  }

  /** Why it is out of traffic (null while up): its own word first, then how client requests fared. */
  get downReason(): DownReason | null {
    if (this.isUp) return null;
    if (this.saidNotReady) return 'not_ready';
    return this.answeredWrongly ? 'wrong_answers' : 'request_failures';
  }

  /**
   * Whether panic routing may try it while no replica is up: only if failed client requests alone took it out,
   * since a stall of the gateway itself fails those too, and only once its /readyz has answered ready since:
   * it is on its way back, and panic routing bridges the probes still needed. A replica that says it is not
   * ready, or whose last answer was wrong, would not give a right answer however often it is asked; one that
   * answers no probe is really down, and trying it would turn fast 503s into slow ones (and load a replica
   * still starting).
   */
  get panicEligible(): boolean {
    return this.downReason === 'request_failures' && this.consecutiveHealthyProbes > 0;
  }

  /**
   * Counts one attempt's outcome: the breaker (cockatiel, consecutive failures) sees it while it is closed;
   * outside it, an attempt made on a replica that is not up (panic routing, or the no-failover negative control)
   * is only noted: recovery stays the probes' decision.
   * Called after the outcome has been acted on, so that an answer reaches the client before this
   * book-keeping; a failure that takes the replica out does so before the next client request is read.
   * `isLastResort`: whether no other replica is up. A timeout there is recorded but not counted: opening the
   * last breaker would turn a slow 503 into a burst of fast ones, and after a stall of the gateway itself,
   * into 503s for answers that would have come.
   */
  record(result: Outcome & { message?: string }, isLastResort: () => boolean = () => false): void {
    const kind = result.kind;
    const counted = result.outcome === 'failure' && COUNTED.has(kind!) && !(kind === 'timeout' && isLastResort());
    // A success on a breaker with no failure counted changes nothing: skip the policy's promise round trip.
    if (this.isUp && (result.outcome === 'failure' || this.counter.state > 0)) {
      const judged: Judged<Outcome> = { result, counted };
      void this.breaker.execute(() => judged);
    }
    if (result.outcome === 'answer') {
      this.consecutiveSlow = 0;
      this.answeredWrongly = false;
      return;
    }
    if (kind === 'cancelled') return;
    if (kind === 'invalid_body' || kind === 'wrong_model') this.answeredWrongly = true;
    this.lastError = { kind: kind!, message: result.message ?? '', at: new Date().toISOString() };
    const reason = `${kind}: ${result.message}`;
    // A refused or reset connection, or a silent replica, will very likely do the same to the next request.
    if (counted && (kind === 'connection' || kind === 'timeout')) this.holdOpen(reason);
    if (kind === 'slow' && ++this.consecutiveSlow >= this.thresholds.slowThreshold) {
      this.holdOpen(`${this.consecutiveSlow} hedges in a row answered before it, the last ${reason}`, true);
    }
  }

  /** One /readyz probe; `opensBreaker`: a failed probe takes the replica out of traffic (see startProber). */
  recordProbe(probe: ProbeResult, opensBreaker = false): void {
    const { healthy, message, answered } = probe;
    this.lastProbe = { healthy, message, answered, at: new Date().toISOString() };
    if (!healthy) {
      this.consecutiveHealthyProbes = 0;
      // Its own word: it gets no panic traffic until it has recovered, whatever its next probes say.
      if (answered) this.saidNotReady = true;
      if (opensBreaker) this.holdOpen(`readiness probe: ${message}`);
      return;
    }
    this.consecutiveHealthyProbes += 1;
    if (this.hold && this.consecutiveHealthyProbes >= this.requiredHealthyProbes) {
      this.hold.dispose();
      this.hold = undefined;
      this.counter.state = 0;
      this.consecutiveSlow = 0;
      this.answeredWrongly = false;
      // Back from lost hedge races, it did not fail: failing soon after is not flapping. Ten lost races take
      // 20 ms at 500 req/s, and a brief stall of the primary host (or of the gateway's reading of it) was
      // enough to double the probes of a real crash a second later.
      this.upSince = this.openForSlowness ? Number.NEGATIVE_INFINITY : performance.now();
      this.changed(`${this.consecutiveHealthyProbes} consecutive healthy readiness probes`);
    }
    // In traffic and ready by its own word (e.g. one that was not ready at start): what it said before is past.
    if (this.isUp) this.saidNotReady = false;
  }

  snapshot(): ReplicaSnapshot {
    return {
      role: this.role,
      url: this.url,
      state: this.isUp ? 'up' : 'down',
      breaker: this.isUp ? 'closed' : 'open',
      consecutiveFailures: this.counter.state,
      consecutiveHealthyProbes: this.consecutiveHealthyProbes,
      requiredHealthyProbes: this.requiredHealthyProbes,
      downReason: this.downReason,
      panicEligible: this.panicEligible,
      lastError: this.lastError,
      lastProbe: this.lastProbe,
    };
  }

  private holdOpen(reason: string, forSlowness = false): void {
    if (this.hold) return;
    this.openForSlowness = forSlowness;
    this.hold = this.breaker.isolate();
    this.consecutiveHealthyProbes = 0;
    const flapping = performance.now() - this.upSince < this.thresholds.flapWindowMs;
    this.requiredHealthyProbes = flapping
      ? Math.min(this.requiredHealthyProbes * 2, this.thresholds.recoveryThreshold * MAX_FLAP_FACTOR)
      : this.thresholds.recoveryThreshold;
    this.changed(reason);
  }

  private changed(reason: string): void {
    const up = this.isUp;
    this.onChange({ role: this.role, url: this.url, state: up ? 'up' : 'down', breaker: up ? 'closed' : 'open', reason });
  }
}
