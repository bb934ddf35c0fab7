// The built-in open-model load generator. Its schedule, sends and judging (open-load-sender.ts) run on a worker
// thread of its own (open-load-worker.ts), so the thread that talks to Docker and Toxiproxy cannot delay a send;
// this side starts the thread, hands it the plan and passes its records on.
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import type { RequestRecord } from '../measure/records';
import type { ServedBy } from '../topology/parts';
import type { WireProtocol, WireRequest } from './protocol';
import type { Judge, ReferenceModel } from './reference';

export type { Judge } from './reference';

export interface LoadPlan {
  url: string;
  rate: number;
  durationMs: number;
  timeoutMs: number;
  /** The request set on the wire, in the scenario's protocol; request i sends requests[i % length]. */
  requests: readonly WireRequest[];
  /** performance.now() of the load's time zero, shared with the fault timeline. */
  t0: number;
  /** Stops scheduling new requests (those in flight still complete and are recorded). */
  signal?: AbortSignal;
  /** How the gateway's answers name the replica; default: the reference gateway's x-served-by. */
  servedBy?: ServedBy;
  /**
   * A path of the target that answers a GET cheaply (the gateway's health route). k6 keeps one connection per
   * virtual user and hands iterations to its VUs in turn, so without warming every VU opened its connection during
   * the first seconds of the schedule: a send p99 of 92-235 ms late there against 41-154 ms after, beside a busy
   * process. With it, each VU opens its connection there before the schedule starts.
   */
  warmPath?: string;
  /** Called as each request completes (live progress). */
  onRecord?: (record: RequestRecord) => void;
}

/** One load for a worker thread: data only, since functions do not cross threads. */
export interface WorkerPlan {
  plan: Pick<LoadPlan, 'url' | 'rate' | 'durationMs' | 'timeoutMs' | 'requests' | 'servedBy'>;
  references: readonly ReferenceModel[];
  protocol: WireProtocol;
  /** process.hrtime.bigint() at the load's time zero: the one clock both threads read alike. */
  t0Hr: bigint;
}

/** To a worker: run a load, or stop scheduling the one it runs. */
export type ToWorker = { type: 'run'; plan: WorkerPlan } | { type: 'stop' };
/** From a worker: started; records as they finish (the last batch is 'done'); or why its load could not run. */
export type FromWorker = { type: 'ready' } | { type: 'records' | 'done'; records: RequestRecord[] } | { type: 'failed'; message: string };

let workerFile: string | undefined;

/**
 * The worker's entry bundled with its dependencies into one file, built on first use (about 0.3 s) and named by
 * its content. One self-contained file starts the same way from the TypeScript sources (jest, tsx), from the
 * compiled dist/ and from an installed package, wherever node_modules is.
 */
function loadWorkerFile(): string {
  if (workerFile) return workerFile;
  const entry = require.resolve('./open-load-worker');
  const [output] = buildSync({ entryPoints: [entry], bundle: true, write: false, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' }).outputFiles;
  if (!output) throw new Error(`bundling the load generator's worker from ${entry} produced no output`);
  const file = join(tmpdir(), `failover-drill-load-worker-${createHash('sha256').update(output.text).digest('hex').slice(0, 16)}.js`);
  if (!existsSync(file)) {
    // Written aside and renamed, so a drill in another process never starts a half-written file.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, output.text);
    renameSync(partial, file);
  }
  return (workerFile = file);
}

const failure = (why: string, cause?: unknown): Error => new Error(`the load generator's worker thread ${why}`, cause ? { cause } : {});

/**
 * Workers that are started and idle. Starting one takes 100-150 ms here (most of it loading undici), far more
 * than a load's lead time, so a worker is started ahead (prepareOpenLoad) and kept for the next load. Idle
 * workers do not keep the process alive.
 */
const idle: Worker[] = [];

function startWorker(): Promise<Worker> {
  const worker = new Worker(loadWorkerFile());
  worker.unref();
  return new Promise((resolve, reject) => {
    worker.once('message', (m: FromWorker) => (m.type === 'ready' ? resolve(worker) : reject(failure(`sent ${m.type} before it was ready`))));
    worker.once('error', (e) => reject(failure(`failed to start: ${e.message}`, e)));
  });
}

/** Starts a worker ahead of a load, so the load's first requests do not wait for a thread to start. */
export async function prepareOpenLoad(): Promise<void> {
  if (idle.length === 0) idle.push(await startWorker());
}

/** Runs the plan to completion (or until aborted) on a worker thread and returns one record per request sent. */
export async function runOpenLoad(plan: LoadPlan, judge: Judge): Promise<RequestRecord[]> {
  const t0Hr = process.hrtime.bigint() - BigInt(Math.round((performance.now() - plan.t0) * 1e6));
  const worker = idle.pop() ?? (await startWorker());
  try {
    const records = await runOn(worker, plan, { plan: { url: plan.url, rate: plan.rate, durationMs: plan.durationMs, timeoutMs: plan.timeoutMs, requests: plan.requests, ...(plan.servedBy ? { servedBy: plan.servedBy } : {}) }, references: judge.references, protocol: judge.protocol, t0Hr });
    idle.push(worker);
    return records;
  } catch (e) {
    void worker.terminate();
    throw e;
  }
}

function runOn(worker: Worker, plan: LoadPlan, work: WorkerPlan): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const stop = (): void => void worker.postMessage({ type: 'stop' } satisfies ToWorker);
  let detach = (): void => undefined;
  return new Promise<RequestRecord[]>((resolve, reject) => {
    const onMessage = (m: FromWorker): void => {
      if (m.type === 'ready') return;
      if (m.type === 'failed') return reject(failure(`failed: ${m.message}`));
      for (const r of m.records) plan.onRecord?.(r);
      records.push(...m.records);
      if (m.type === 'done') resolve(records.sort((a, b) => a.seq - b.seq));
    };
    const onError = (e: Error): void => reject(failure(`failed: ${e.message}`, e));
    const onExit = (code: number): void => reject(failure(`exited (code ${code}) before its load was done`));
    // The listeners come off when the load ends: the worker serves the next load with that load's own.
    detach = () => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      plan.signal?.removeEventListener('abort', stop);
      worker.unref();
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.ref();
    worker.postMessage({ type: 'run', plan: work } satisfies ToWorker);
    if (plan.signal?.aborted) stop();
    else plan.signal?.addEventListener('abort', stop, { once: true });
  }).finally(() => detach());
}

/**
 * A request that went out this much after its slot means the generator, not the system, set the pace. Shorter
 * stalls of the harness (GC, a busy core) do not bias what is measured: latency counts from the actual send.
 */
export const LATE_START_MS = 100;

/**
 * Why the offered load was not what the scenario asked for, or undefined. A drill measured under a load that
 * never arrived proves nothing, so the runner turns this into an error.
 */
export function loadShortfall(records: readonly RequestRecord[], expected: number): string | undefined {
  if (records.length < expected) return `only ${records.length} of ${expected} scheduled requests were sent`;
  const late = records.filter((r) => r.sentMs - r.scheduledMs > LATE_START_MS).length;
  if (late > expected * 0.01) return `${late} of ${expected} requests went out more than ${LATE_START_MS} ms after their slot: the load generator fell behind`;
  return undefined;
}
