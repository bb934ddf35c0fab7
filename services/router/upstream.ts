import { Pool, type Dispatcher } from 'undici';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../common/contract';
import { REPLICA_TIMING, serverTimingDurations } from '../common/server-timing';
import type { HedgeDelay } from './hedge-delay';
import type { ModelAllowList } from './model-allow-list';
import { readySha256Of } from './rank-answer';
import type { RankCall } from './rank-request';
import type { FailureKind, ProbeResult, ReplicaState } from './replica-state';

/** A replica's answer the gateway hands to the client as is: a valid 2xx, or a 4xx (the client's fault). */
export interface Answer {
  outcome: 'answer';
  status: number;
  contentType: string;
  body: Buffer;
  /** Inference-Header-Content-Length of a v2 answer with binary outputs: passed on with the body. */
  headerLength?: string;
  /** The replica's own time on the request, when it said (its Server-Timing `replica`). */
  replicaMs?: number;
}

export interface Failure {
  outcome: 'failure';
  kind: FailureKind;
  message: string;
}

export type AttemptResult = Answer | Failure;

/**
 * Ends an attempt in flight at once with `reason` as its outcome (no-op once settled). Its request may still
 * complete on the wire within `graceMs`, unread, so that its keep-alive connection survives; after that it is
 * aborted, which closes the connection (the only way to cancel an HTTP/1.1 request).
 */
export type CancelAttempt = (reason: Failure, graceMs?: number) => void;

export interface Readiness {
  ready: boolean;
  message: string;
  /** Whether the replica itself answered (200 or not): a probe that failed to connect or timed out says less. */
  answered: boolean;
  sha256?: string;
}

/** What came back over the wire, before it is judged. */
export interface Reply {
  status: number;
  contentType: string;
  body: Buffer;
  headerLength?: string;
  replicaMs?: number;
}
const ABORTED = new Error('the gateway ended the attempt');

/**
 * One HTTP exchange with a replica under a deadline that covers queueing, connect, headers and the whole body
 * (a replica that stalls mid-body is as unusable as a silent one). It settles on its own deadline or on
 * cancel() even while undici is still connecting, and aborting it closes the connection, which is the only
 * way to cancel an HTTP/1.1 request.
 *
 * Written against undici's dispatcher handler rather than pool.request(): the answer is buffered as it
 * arrives and handed on from the same socket event, with no response stream, header object, promise or
 * AbortSignal per attempt. That is most of what the gateway adds to a request's latency besides the two
 * loopback hops.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private settled = false;
  /** Settled by cancel() while its request is left to finish on the wire (see CancelAttempt). */
  private detached = false;
  private abortRequest: ((err: Error) => void) | null = null;
  private timer: NodeJS.Timeout | undefined;
  private status = 0;
  private contentType = 'application/json';
  private headerLength: string | undefined;
  private replicaMs: number | undefined;
  private chunks: Buffer[] = [];

  constructor(
    pool: Pool,
    opts: Dispatcher.DispatchOptions,
    private readonly timeoutMs: number,
    /** Called once, synchronously from the socket event that settles the exchange, or from cancel(). */
    private readonly onDone: (result: Reply | Failure) => void,
  ) {
    pool.dispatch(opts, this);
    // Armed after the request is on its way (the deadline covers the time spent queueing for a connection).
    // Timers run before pending I/O in an event-loop turn: after a stall of the gateway itself, an answer that
    // already arrived would lose to its deadline. setImmediate lets that I/O be read first.
    if (!this.settled) this.timer = setTimeout(() => setImmediate(() => this.expire()), timeoutMs);
  }

  cancel(reason: Failure, graceMs = 0): void {
    if (this.settled) return;
    if (graceMs <= 0 || this.abortRequest === null) return this.finish(reason);
    this.settled = true;
    this.detached = true;
    this.chunks = [];
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.abortRequest?.(ABORTED), graceMs);
    this.onDone(reason);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.settled) abort(ABORTED);
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the real answer follows
    this.status = statusCode;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length === 12 && name.toString('latin1').toLowerCase() === 'content-type') {
        this.contentType = rawHeaders[i + 1]!.toString('latin1');
      } else if (name.length === 31 && name.toString('latin1').toLowerCase() === INFERENCE_HEADER_CONTENT_LENGTH) {
        this.headerLength = rawHeaders[i + 1]!.toString('latin1');
      } else if (name.length === 13 && name.toString('latin1').toLowerCase() === 'server-timing') {
        this.replicaMs = serverTimingDurations(rawHeaders[i + 1]!.toString('latin1'))[REPLICA_TIMING];
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.detached) this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.detached) return this.release();
    const { chunks } = this;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const { headerLength, replicaMs } = this;
    this.finish({ status: this.status, contentType: this.contentType, body, ...(headerLength === undefined ? {} : { headerLength }), ...(replicaMs === undefined ? {} : { replicaMs }) });
  }

  onError(err: Error): void {
    if (this.detached) return this.release();
    this.finish({ outcome: 'failure', kind: 'connection', message: describeIoError(err) });
  }

  /** The request of a cancelled exchange ended (answered within its grace, or aborted): nothing left to do. */
  private release(): void {
    clearTimeout(this.timer);
    this.abortRequest = null;
  }

  private expire(): void {
    this.finish({ outcome: 'failure', kind: 'timeout', message: `no complete answer within ${this.timeoutMs} ms` });
  }

  private finish(result: Reply | Failure): void {
    if (this.settled) return;
    this.settled = true;
    this.chunks = [];
    // Still on the wire (deadline or cancel): closing the connection is how HTTP/1.1 cancels a request.
    const abort = 'outcome' in result ? this.abortRequest : null;
    this.abortRequest = null;
    try {
      this.onDone(result);
    } finally {
      // After the outcome was acted on (e.g. the answer written to the client): neither is urgent.
      clearTimeout(this.timer);
      abort?.(ABORTED);
    }
  }
}

/** One replica: a keep-alive connection pool, its breaker state, and its recent latency for hedging. */
export class Upstream {
  private readonly pool: Pool;
  private readonly modelProblem = (sha256: string) => this.allowList.problemWith(sha256);

  constructor(
    readonly state: ReplicaState,
    readonly hedgeDelay: HedgeDelay,
    private readonly allowList: ModelAllowList,
    /** false: pass any 2xx on unread (the negative control showing what answer validation prevents). */
    private readonly validateAnswers = true,
    /** Bounds a connection attempt that hangs (dropped SYNs); attempts have their own, shorter deadlines. */
    connectTimeoutMs = 10_000,
    /** The replica's readiness route: GET /readyz on ours, e.g. /v2/health/ready on another OIP v2 server. */
    private readonly readinessPath = '/readyz',
  ) {
    this.pool = new Pool(state.url, { connectTimeout: connectTimeoutMs });
  }

  get role() {
    return this.state.role;
  }

  /**
   * Sends one rank call (/v1/rank or a v2 infer) under a deadline that covers connect, headers and body. `onResult` gets the judged
   * outcome first, synchronously from the socket event that completed it, so an answer reaches the client
   * before any book-keeping; the replica's breaker and hedge delay learn from it right after. The returned
   * function ends the attempt early (e.g. it lost a hedge race). `isLastResort`: see ReplicaState.record.
   */
  rank(
    call: RankCall,
    timeoutMs: number,
    isLastResort: () => boolean,
    onResult: (result: AttemptResult) => void,
  ): CancelAttempt {
    const started = performance.now();
    const exchange = new Exchange(this.pool, { path: call.path, method: 'POST', headers: call.headers, body: call.payload }, timeoutMs, (reply) => {
      const result = this.judge(reply, call);
      try {
        onResult(result);
      } finally {
        if (result.outcome === 'answer') this.hedgeDelay.record(performance.now() - started);
        else if (result.kind === 'slow') this.hedgeDelay.overtaken();
        this.state.record(result, isLastResort);
      }
    });
    return (reason, graceMs) => exchange.cancel(reason, graceMs);
  }

  /** Asks its readiness route: ready only on 200 within the deadline; reports the model sha256 it serves, if it says. */
  async readiness(timeoutMs: number): Promise<Readiness> {
    const route = `GET ${this.readinessPath}`;
    const reply = await this.get(this.readinessPath, timeoutMs);
    if ('outcome' in reply) return { ready: false, message: `${route} failed: ${reply.message}`, answered: false };
    if (reply.status !== 200) return { ready: false, message: `${route} answered ${reply.status}`, answered: true };
    return { ready: true, message: `${route} answered 200`, answered: true, sha256: readySha256Of(reply.body.toString('utf8')) };
  }

  /**
   * One health probe: whether the replica is ready and serves a model the allow list admits (learning it on
   * first use), and why not. The caller records it (see Prober): probes may overlap, and only the newest
   * one's word counts.
   */
  async probe(timeoutMs: number): Promise<ProbeResult> {
    const readiness = await this.readiness(timeoutMs);
    const refused = readiness.ready && this.validateAnswers ? this.allowList.admit(this.role, readiness.sha256) : null;
    return { healthy: readiness.ready && refused === null, message: refused ?? readiness.message, answered: readiness.answered };
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }

  private judge(reply: Reply | Failure, call: RankCall): AttemptResult {
    if ('outcome' in reply) return reply;
    const { status, body, headerLength } = reply;
    if (status >= 400 && status < 500) return { outcome: 'answer', ...reply };
    if (status < 200 || status >= 300) {
      return { outcome: 'failure', kind: 'server_error', message: `POST ${call.path} answered ${status}` };
    }
    const problem = this.validateAnswers ? call.problemWith(body, headerLength, this.modelProblem) : null;
    if (problem) return { outcome: 'failure', ...problem };
    return { outcome: 'answer', ...reply };
  }

  /** One GET passed through as is (v2 model metadata and readiness), under a deadline; not judged, not counted. */
  get(path: string, timeoutMs: number): Promise<Reply | Failure> {
    return new Promise((resolve) => new Exchange(this.pool, { path, method: 'GET' }, timeoutMs, resolve));
  }
}

function describeIoError(e: unknown): string {
  const { code, message } = e as { code?: string; message?: string };
  const text = message || String(e);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
