import { Pool } from 'undici';
import type { HedgeDelay } from './hedge-delay';
import type { ModelAllowList } from './model-allow-list';
import { problemWithRankAnswer, readySha256Of } from './rank-answer';
import type { FailureKind, ReplicaState } from './replica-state';

/** A replica's answer the gateway hands to the client as is: a valid 2xx, or a 4xx (the client's fault). */
export interface Answer {
  outcome: 'answer';
  status: number;
  contentType: string;
  body: Buffer;
}

export interface Failure {
  outcome: 'failure';
  kind: FailureKind;
  message: string;
}

export type AttemptResult = Answer | Failure;

export interface Readiness {
  ready: boolean;
  message: string;
  /** Whether the replica itself answered (200 or not): a probe that failed to connect or timed out says less. */
  answered: boolean;
  sha256?: string;
}

const TIMED_OUT = Symbol('attempt deadline');

/** One replica: a keep-alive connection pool, its breaker state, and its recent latency for hedging. */
export class Upstream {
  private readonly pool: Pool;

  constructor(
    readonly state: ReplicaState,
    readonly hedgeDelay: HedgeDelay,
    private readonly allowList: ModelAllowList,
    /** false: pass any 2xx on unread (the negative control showing what answer validation prevents). */
    private readonly validateAnswers = true,
  ) {
    this.pool = new Pool(state.url);
  }

  get role() {
    return this.state.role;
  }

  /**
   * Sends one rank request under a deadline that covers connect, headers and body, through the replica's
   * breaker. Aborting `cancel` with a Failure as its reason ends the attempt at once with that failure.
   * `isLastResort`: whether no other replica is up (see ReplicaState.run).
   */
  rank(
    payload: Buffer,
    candidateCount: number | undefined,
    timeoutMs: number,
    opts: { cancel?: AbortSignal; isLastResort?: () => boolean } = {},
  ): Promise<AttemptResult> {
    return this.state.run(async () => {
      const started = performance.now();
      const result = await this.attemptRank(payload, candidateCount, timeoutMs, opts.cancel);
      if (result.outcome === 'answer') this.hedgeDelay.record(performance.now() - started);
      return result;
    }, opts.isLastResort);
  }

  /** Asks GET /readyz: ready only on 200 within the deadline; reports the model sha256 the replica serves. */
  async readiness(timeoutMs: number): Promise<Readiness> {
    const result = await this.withDeadline(timeoutMs, undefined, async (signal) => {
      const res = await this.pool.request({ path: '/readyz', method: 'GET', signal });
      return { status: res.statusCode, body: await res.body.text() };
    });
    if ('outcome' in result) {
      return { ready: false, message: `GET /readyz failed: ${result.message}`, answered: false };
    }
    if (result.status !== 200) return { ready: false, message: `GET /readyz answered ${result.status}`, answered: true };
    return { ready: true, message: 'GET /readyz answered 200', answered: true, sha256: readySha256Of(result.body) };
  }

  /**
   * One health probe: ready, and serving a model the allow list admits (learning it on first use).
   * `healthCheck`: a periodic check of a replica taking traffic, which it leaves when it says it is not ready
   * or serves another model; a probe that could not connect or timed out does not count, since client requests
   * judge those at once and better than one probe does.
   */
  async probe(timeoutMs: number, healthCheck = false): Promise<void> {
    const readiness = await this.readiness(timeoutMs);
    const refused = readiness.ready && this.validateAnswers ? this.allowList.admit(this.role, readiness.sha256) : null;
    const healthy = readiness.ready && refused === null;
    this.state.recordProbe(healthy, refused ?? readiness.message, healthCheck && readiness.answered);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }

  private async attemptRank(
    payload: Buffer,
    candidateCount: number | undefined,
    timeoutMs: number,
    cancel: AbortSignal | undefined,
  ): Promise<AttemptResult> {
    const response = await this.withDeadline(timeoutMs, cancel, async (signal) => {
      const res = await this.pool.request({
        path: '/v1/rank',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal,
      });
      // Read the whole body under the same deadline: a replica that stalls mid-body is as unusable as a silent one.
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? 'application/json'), body };
    });
    if ('outcome' in response) return response;
    const { status, contentType, body } = response;
    if (status >= 400 && status < 500) return { outcome: 'answer', status, contentType, body };
    if (status < 200 || status >= 300) {
      return { outcome: 'failure', kind: 'server_error', message: `POST /v1/rank answered ${status}` };
    }
    const problem = this.validateAnswers ? problemWithRankAnswer(body, candidateCount, (sha256) => this.allowList.problemWith(sha256)) : null;
    if (problem) return { outcome: 'failure', ...problem };
    return { outcome: 'answer', status, contentType, body };
  }

  private async withDeadline<T>(
    timeoutMs: number,
    cancel: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T | Failure> {
    if (cancel?.aborted) return cancel.reason as Failure;
    const controller = new AbortController();
    // Timers run before pending I/O in an event-loop turn: after a stall of the gateway itself, an answer that
    // already arrived would lose to its deadline. setImmediate lets that I/O be read first.
    const timer = setTimeout(() => setImmediate(() => controller.abort(TIMED_OUT)), timeoutMs);
    const onCancel = () => controller.abort(cancel!.reason);
    cancel?.addEventListener('abort', onCancel, { once: true });
    try {
      return await run(controller.signal);
    } catch (e) {
      if (controller.signal.aborted) {
        const reason: unknown = controller.signal.reason;
        if (reason !== TIMED_OUT) return reason as Failure;
        return { outcome: 'failure', kind: 'timeout', message: `no complete answer within ${timeoutMs} ms` };
      }
      return { outcome: 'failure', kind: 'connection', message: describeIoError(e) };
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
    }
  }
}

function describeIoError(e: unknown): string {
  const { code, message } = e as { code?: string; message?: string };
  const text = message || String(e);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
