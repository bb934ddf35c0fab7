// The open-model sender: request i goes out at t0 + i/rate whether or not earlier ones returned, so a stalled
// backend shows up as latency and errors instead of silently lowering the offered load. It runs in the load
// generator's worker thread (open-load-worker.ts), where nothing else competes for its event loop.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../../services/common/contract';
import { gatewayTimingOf } from './gateway-timing';
import type { RequestRecord } from '../measure/records';
import { REFERENCE_SERVED_BY, servedByRole } from '../topology/served-by';
import type { LoadPlan } from './open-load';
import type { Judge } from './reference';

/** The error code of an error answer: /v1's `{error: {code}}`, or v2's `{error: "<code>: <sentence>"}`. */
export const errorCode = (body: string): string | undefined => {
  try {
    const error = (JSON.parse(body) as { error?: { code?: string } | string }).error;
    if (typeof error === 'string') return /^([a-z0-9_]+):/.exec(error)?.[1];
    return error?.code;
  } catch {
    return undefined;
  }
};

async function send(pool: Pool, plan: LoadPlan, seq: number, judge: Judge): Promise<RequestRecord> {
  const attribution = plan.servedBy ?? REFERENCE_SERVED_BY;
  const request = seq % plan.requests.length;
  const { path, headers, body } = plan.requests[request]!;
  const scheduledMs = (seq * 1000) / plan.rate;
  const sentMs = performance.now() - plan.t0;
  // A timer cleared when the request ends, not AbortSignal.timeout(): its timer fires after the timeout whether
  // or not the request is done (it holds the signal weakly, and a young signal is rarely collected by then), and
  // each firing builds a DOMException and dispatches an abort event: 5-7 % of this thread's CPU in a profile.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), plan.timeoutMs);
  try {
    const res = await pool.request({
      path,
      method: 'POST',
      headers,
      body,
      signal: deadline.signal,
    });
    const answer = Buffer.from(await res.body.arrayBuffer());
    const doneMs = performance.now() - plan.t0;
    const servedBy = servedByRole(res.headers[attribution.header], attribution);
    const failover = res.headers['x-failover'] as string | undefined;
    const base = {
      seq, request, scheduledMs, sentMs, doneMs, status: res.statusCode,
      ...(servedBy ? { servedBy } : {}), ...(failover ? { failover } : {}), ...gatewayTimingOf(res.headers['server-timing']),
    };
    const headerLength = res.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    if (res.statusCode >= 200 && res.statusCode < 300) return { ...base, ...judge(request, answer, typeof headerLength === 'string' ? headerLength : undefined) };
    const code = errorCode(answer.toString('utf8'));
    return { ...base, error: code ?? `http_${res.statusCode}` };
  } catch (e) {
    const error = deadline.signal.aborted ? 'client_timeout' : ((e as { code?: string }).code ?? (e as Error).message);
    return { seq, request, scheduledMs, sentMs, doneMs: performance.now() - plan.t0, status: 0, error };
  } finally {
    clearTimeout(timer);
  }
}

/** Sends the plan on this thread to completion (or until aborted); one record per request sent, in schedule order. */
export async function sendOnSchedule(plan: LoadPlan, judge: Judge): Promise<RequestRecord[]> {
  const total = Math.round((plan.rate * plan.durationMs) / 1000);
  const pool = new Pool(plan.url, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
  const pending: Promise<RequestRecord>[] = [];
  try {
    const onRecord = plan.onRecord;
    for (let seq = 0; seq < total && !plan.signal?.aborted; ) {
      const now = performance.now() - plan.t0;
      while (seq < total && (seq * 1000) / plan.rate <= now) {
        const sent = send(pool, plan, seq++, judge);
        pending.push(onRecord ? sent.then((r) => (onRecord(r), r)) : sent);
      }
      if (seq < total) await sleep(Math.max(0, (seq * 1000) / plan.rate - (performance.now() - plan.t0)));
    }
    return await Promise.all(pending);
  } finally {
    await pool.close().catch(() => undefined);
  }
}
