// `load.driver: k6`: the same open-model plan as runOpenLoad, sent by the real k6 binary with the load script
// harness/load/k6/rank-load.ts. k6 writes one JSON line per request; they become the same RequestRecords, so
// measurements, thresholds and reports do not know which driver ran.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Role } from '../../services/common/contract';
import { InfrastructureError } from '../errors';
import type { RequestRecord } from '../measure/records';
import { projectRoot } from '../paths';
import { readSetupState } from '../setup/state';
import { gatewayTimingOf } from './gateway-timing';
import type { K6RequestEntry, K6RequestLine } from './k6/rank-load';
import type { LoadPlan } from './open-load';
import { errorCode } from './open-load-sender';
import type { Judge } from './reference';

export const K6_SCRIPT = join(projectRoot, 'harness', 'load', 'k6', 'rank-load.ts');
/**
 * How long before the load's time zero k6 must be launched. Measured here: ~50 ms plus ~0.7 ms per VU
 * (1000 VUs: 0.8 s); the script's setup() waits until the warm-up's start (K6_WARM_MS before t0), so the first
 * scheduled request still leaves at t0.
 */
export const K6_START_LEAD_MS = 2500;
/** The part of the lead in which every VU sends one GET to the plan's warmPath, before the schedule starts (k6 takes 1 s at least). */
export const K6_WARM_MS = 1000;
const MAX_PRE_ALLOCATED_VUS = 1000;

/** k6 transport error codes, named like the built-in generator's (Node) errors so both read alike in reports. */
const K6_TRANSPORT_ERRORS: Record<number, string> = {
  1050: 'client_timeout',
  1201: 'EPIPE',
  1211: 'ETIMEDOUT',
  1212: 'ECONNREFUSED',
  1220: 'ECONNRESET',
};

export interface K6RunOptions {
  /** VUs initialised before the load starts. Default: maxVUs, up to 1000 (startup time grows with them). */
  preAllocatedVUs?: number;
  /** Default: enough for every request to wait out its timeout, so none is dropped for want of a VU. */
  maxVUs?: number;
}

/** The k6 binary setup installed, or a sentence saying how to get it. */
export function installedK6(): string {
  const k6 = readSetupState().k6;
  if (!k6) throw new InfrastructureError('`load.driver: k6` needs the k6 binary, but setup recorded none: run `npx drill setup --k6` (it builds k6 from its Go module; `drill setup` builds it by itself when a scenario in scenarios/ uses k6)');
  return k6;
}

/** Turns k6's output lines into records on the load's clock; `t0WallMs` is Date.now() at the load's time zero. */
export function parseK6Lines(text: string, plan: Pick<LoadPlan, 'rate'>, t0WallMs: number, judge: Judge): RequestRecord[] {
  return text.split('\n').flatMap((raw, i) => (raw.trim() === '' ? [] : [toRecord(parseLine(raw, i + 1), plan.rate, t0WallMs, judge)]))
    .sort((a, b) => a.seq - b.seq);
}

function parseLine(raw: string, n: number): K6RequestLine {
  try {
    return JSON.parse(raw) as K6RequestLine;
  } catch (cause) {
    throw new InfrastructureError(`k6 output line ${n} is not JSON (did something else write to its console output?): ${raw.slice(0, 120)}`, { cause });
  }
}

function toRecord(line: K6RequestLine, rate: number, t0WallMs: number, judge: Judge): RequestRecord {
  const sentMs = line.sentWallMs - t0WallMs;
  const base: RequestRecord = {
    seq: line.seq,
    request: line.request,
    // On k6's own schedule: the scenario's start (a little after t0: k6 starts it once setup() returns) plus seq / rate.
    scheduledMs: line.scenarioStartWallMs - t0WallMs + (line.seq * 1000) / rate,
    sentMs,
    doneMs: sentMs + line.elapsedMs,
    status: line.status,
    ...(line.servedBy ? { servedBy: line.servedBy as Role } : {}),
    ...(line.failover ? { failover: line.failover } : {}),
    ...gatewayTimingOf(line.serverTiming),
  };
  const body = line.bodyBase64 !== undefined ? Buffer.from(line.bodyBase64, 'base64') : (line.body ?? '');
  if (line.status === 0) {
    const code = line.k6ErrorCode ?? 0;
    return { ...base, error: K6_TRANSPORT_ERRORS[code] ?? `k6 ${code}: ${line.k6Error ?? 'no response'}` };
  }
  if (line.status >= 200 && line.status < 300) return { ...base, ...judge(line.request, body, line.headerLength) };
  return { ...base, error: errorCode(body.toString()) ?? `http_${line.status}` };
}

const vusFor = (plan: LoadPlan): number => Math.ceil((plan.rate * plan.timeoutMs) / 1000) + 1;

/**
 * Runs the plan with k6 and returns one record per request it sent. Requests k6 dropped (no free VU when due)
 * or sent late show up as missing or late records, which the runner's load check turns into an error.
 */
export async function runK6Load(plan: LoadPlan, judge: Judge, k6Path: string, opts: K6RunOptions = {}): Promise<RequestRecord[]> {
  try {
    accessSync(k6Path, constants.X_OK);
  } catch (cause) {
    throw new InfrastructureError(`k6 is not executable at ${k6Path}: run \`npx drill setup --k6\` to (re)install it`, { cause });
  }
  const maxVUs = opts.maxVUs ?? vusFor(plan);
  const preAllocatedVUs = Math.min(opts.preAllocatedVUs ?? MAX_PRE_ALLOCATED_VUS, maxVUs);
  // The wall clock at t0: k6 runs in another process, and Date.now() is the clock both processes share.
  const t0WallMs = Date.now() - (performance.now() - plan.t0);
  const dir = await mkdtemp(join(tmpdir(), 'failover-drill-k6-'));
  try {
    const bodiesFile = join(dir, 'bodies.bin');
    const bodyIndexFile = join(dir, 'bodies-index.json');
    const linesFile = join(dir, 'requests.jsonl');
    // The script reads body i as bytes [offset, offset + length) of one shared file (see rank-load.ts).
    let offset = 0;
    const index = plan.requests.map(({ path, headers, body }): K6RequestEntry => ({ offset: (offset += body.byteLength) - body.byteLength, length: body.byteLength, path, headers }));
    await writeFile(bodiesFile, Buffer.concat(plan.requests.map((r) => r.body)));
    await writeFile(bodyIndexFile, JSON.stringify(index));
    await writeFile(linesFile, '');
    const env: Record<string, string | number> = {
      DRILL_TARGET_URL: plan.url,
      DRILL_RATE: plan.rate,
      DRILL_TOTAL: Math.round((plan.rate * plan.durationMs) / 1000),
      DRILL_DURATION_MS: plan.durationMs,
      DRILL_TIMEOUT_MS: plan.timeoutMs,
      DRILL_PRE_ALLOCATED_VUS: preAllocatedVUs,
      DRILL_MAX_VUS: maxVUs,
      DRILL_BODIES_FILE: bodiesFile,
      DRILL_BODY_INDEX_FILE: bodyIndexFile,
      DRILL_T0_WALL_MS: Math.round(t0WallMs),
      ...(plan.warmPath ? { DRILL_WARM_PATH: plan.warmPath, DRILL_WARM_MS: K6_WARM_MS } : {}),
      // Binary v2 answers come back as bytes (base64 in the script's output line), anything else as text.
      DRILL_BINARY_ANSWERS: judge.protocol.name === 'oip-v2' && judge.protocol.encoding === 'binary' ? 1 : 0,
    };
    const args = [
      // raw: console lines are written as they are, one JSON object each.
      '--log-format', 'raw', '--no-color', '--quiet',
      'run', '--summary-mode=disabled', '--no-usage-report', '--no-thresholds',
      // No REST API: it would claim localhost:6565 and collide with any other k6 running.
      '--address', '',
      '--console-output', linesFile,
      ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      K6_SCRIPT,
    ];
    const records: RequestRecord[] = [];
    const reader = new LineFollower(linesFile, (line, n) => {
      const record = toRecord(parseLine(line, n), plan.rate, t0WallMs, judge);
      records.push(record);
      plan.onRecord?.(record);
    });
    const limitMs = Math.max(0, plan.t0 - performance.now()) + Math.max(1000, plan.durationMs) + plan.timeoutMs + 30_000;
    try {
      await runK6(k6Path, args, limitMs, plan.signal);
    } finally {
      await reader.close();
    }
    return records.sort((a, b) => a.seq - b.seq);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a file k6 appends to, line by line, while it runs (live progress through onRecord). */
class LineFollower {
  private offset = 0;
  private partial = '';
  private lines = 0;
  private failure: unknown;
  private reading: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly file: string, private readonly onLine: (line: string, n: number) => void) {
    this.timer = setInterval(() => this.poll(), 100);
  }

  /** Reads what is left and stops; throws what a line's handler threw. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.poll();
    await this.reading;
    if (this.failure === undefined && this.partial.trim() !== '') this.onLine(this.partial, ++this.lines);
    if (this.failure !== undefined) throw this.failure;
  }

  private poll(): void {
    this.reading = this.reading.then(() => (this.failure === undefined ? this.readNew() : undefined)).catch((e: unknown) => {
      this.failure = e;
    });
  }

  private async readNew(): Promise<void> {
    const handle = await open(this.file, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) return;
        this.offset += bytesRead;
        const lines = (this.partial + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
        this.partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') this.onLine(line, ++this.lines);
      }
    } finally {
      await handle.close();
    }
  }
}

/**
 * k6's Go garbage collector target when the environment sets none. k6 allocates per request and keeps a JS runtime
 * per VU (401 at 200 req/s with a 2 s timeout), and at Go's default (100) it collected often enough that k6 was the
 * first process of a drill to fall behind beside a busy neighbour. Measured on the 2-core runner, primary-crash-k6
 * (1200 requests) beside one busy process, 4 runs each, interleaved: k6's CPU 1.86-2.45 s at 400 against 2.26-2.55 s
 * at 100, its send lateness p99 16-65 ms against 23-112 ms (one run at 100 errored with the generator behind); its
 * resident memory 290-320 MB against 230-260 MB. A user's own GOGC wins.
 */
export const K6_GOGC = '400';

/** The environment k6 runs in: the harness's own, with K6_GOGC when it sets no GOGC. */
export function k6Environment(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { GOGC: K6_GOGC, ...parent };
}

/** Runs k6 to its end. When `signal` aborts, k6 gets SIGINT: it stops starting requests and exits. */
function runK6(command: string, args: string[], limitMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: k6Environment() });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    const interrupt = (): boolean => child.kill('SIGINT');
    signal?.addEventListener('abort', interrupt, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', interrupt);
    };
    child.once('error', (e) => {
      done();
      reject(new InfrastructureError(`could not start k6 (${command}): ${e.message}; run \`npx drill setup --k6\` to install it`, { cause: e }));
    });
    child.once('exit', (code, sig) => {
      done();
      if (code === 0 || signal?.aborted) return resolve();
      const why = timedOut ? `did not finish within ${limitMs} ms` : `exited with ${code ?? sig}`;
      reject(new InfrastructureError(`k6 ${why}: ${output.trim().split('\n').slice(-8).join('\n') || '(no output)'}`));
    });
  });
}
