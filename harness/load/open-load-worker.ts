// Entry of a load generator worker thread: sends, receives and judges each plan it is given, and posts the
// records back in batches. The thread that talks to Docker and Toxiproxy (a kill call keeps its event loop busy
// for milliseconds) can then no longer delay a send. Bundled into one file at first use (open-load.ts).
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import type { RequestRecord } from '../measure/records';
import type { FromWorker, ToWorker, WorkerPlan } from './open-load';
import { sendOnSchedule } from './open-load-sender';
import { makeJudge } from './reference';

type Port = NonNullable<typeof parentPort>;

/**
 * How often finished records go back to the main thread. Live progress and the rollback stop condition see a
 * record at most this late; each message costs the main thread tens of microseconds.
 */
const FLUSH_MS = 25;

async function run(port: Port, { plan, references, protocol, t0Hr }: WorkerPlan, signal: AbortSignal): Promise<void> {
  // The main thread's t0 on this thread's performance clock: both threads' clocks count the same monotonic
  // nanoseconds (process.hrtime) from different origins, so records stay on the main thread's time line.
  const t0 = performance.now() - Number(process.hrtime.bigint() - t0Hr) / 1e6;
  let batch: RequestRecord[] = [];
  const flush = (type: 'records' | 'done'): void => {
    port.postMessage({ type, records: batch } satisfies FromWorker);
    batch = [];
  };
  const timer = setInterval(() => batch.length > 0 && flush('records'), FLUSH_MS);
  try {
    await sendOnSchedule({ ...plan, t0, signal, onRecord: (r) => batch.push(r) }, makeJudge(references, protocol));
    flush('done');
  } catch (e) {
    port.postMessage({ type: 'failed', message: (e as Error).message } satisfies FromWorker);
  } finally {
    clearInterval(timer);
  }
}

function serve(port: Port): void {
  let current = new AbortController();
  port.on('message', (m: ToWorker) => {
    if (m.type === 'stop') return current.abort();
    current = new AbortController();
    void run(port, m.plan, current.signal);
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}

if (parentPort) serve(parentPort);
