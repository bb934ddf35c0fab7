import { Pool } from 'undici';
import { problemWithRankAnswer } from './rank-answer';
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

/** One replica: a keep-alive connection pool plus its up/down state. */
export class Upstream {
  private readonly pool: Pool;

  constructor(readonly state: ReplicaState) {
    this.pool = new Pool(state.url);
  }

  get role() {
    return this.state.role;
  }

  /** Sends one rank request under a deadline that covers connect, headers and body, and records the outcome. */
  async rank(payload: Buffer, candidateCount: number | undefined, timeoutMs: number): Promise<AttemptResult> {
    const result = await this.attemptRank(payload, candidateCount, timeoutMs);
    if (result.outcome === 'answer') this.state.recordSuccess();
    else this.state.recordFailure(result.kind, result.message);
    return result;
  }

  /** Asks GET /readyz; healthy only on 200 within the deadline. */
  async probe(timeoutMs: number): Promise<void> {
    const result = await this.withDeadline(timeoutMs, async (signal) => {
      const res = await this.pool.request({ path: '/readyz', method: 'GET', signal });
      await res.body.dump();
      return res.statusCode;
    });
    if (typeof result === 'number') this.state.recordProbe(result === 200, `GET /readyz answered ${result}`);
    else this.state.recordProbe(false, `GET /readyz failed: ${result.message}`);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }

  private async attemptRank(payload: Buffer, candidateCount: number | undefined, timeoutMs: number): Promise<AttemptResult> {
    const response = await this.withDeadline(timeoutMs, async (signal) => {
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
    const problem = problemWithRankAnswer(body, candidateCount);
    if (problem) return { outcome: 'failure', kind: 'invalid_body', message: problem };
    return { outcome: 'answer', status, contentType, body };
  }

  private async withDeadline<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T | Failure> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await run(controller.signal);
    } catch (e) {
      if (controller.signal.aborted) {
        return { outcome: 'failure', kind: 'timeout', message: `no complete answer within ${timeoutMs} ms` };
      }
      return { outcome: 'failure', kind: 'connection', message: describeIoError(e) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeIoError(e: unknown): string {
  const { code, message } = e as { code?: string; message?: string };
  const text = message || String(e);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
