// Inference benchmark: POST /v1/rank (1 user x 100 candidates) over loopback against the same model scored by
// Ranker in-process, for fp32 and int8, in one run. The service runs in its own process, as in a container.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Precision, RankRequest } from '../services/common/contract';
import { writeModelDir } from '../services/model/build';
import { MODEL_FILE } from '../services/model/manifest';
import { Ranker } from '../services/model/ranker';
import { generateRequests } from '../services/model/requests';
import { deployedEntry } from './deployed';
import { percentile } from './stats';

const CANDIDATES = 100;
const WARMUP = 500;
const LATENCY_SAMPLES = 5000;
const THROUGHPUT_MS = 3000;
/** Requests kept in flight to measure the service's throughput. */
const CONCURRENCY = 4;

interface Figures {
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
}


/** CPU seconds a process has used, from /proc (Linux); undefined elsewhere. */
async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Latency of `samples` calls one after another, then throughput with `concurrency` calls in flight. */
async function measure(call: (i: number) => Promise<unknown>, concurrency: number, onThroughput?: (phase: 'start' | 'end', count: number) => Promise<void>): Promise<Figures> {
  for (let i = 0; i < WARMUP; i++) await call(i);
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const start = process.hrtime.bigint();
    await call(i);
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  let done = 0;
  const end = performance.now() + THROUGHPUT_MS;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < end; i += concurrency) {
      await call(i);
      done++;
    }
  };
  await onThroughput?.('start', 0);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  await onThroughput?.('end', done);
  return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), perSecond: done / ((performance.now() - started) / 1000) };
}

async function startService(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [await deployedEntry('inference'), '--model', dir, '--port', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const text of createInterface({ input: child.stdout! })) {
    const line = JSON.parse(text) as { msg: string; port: number; ready: boolean };
    if (line.msg !== 'listening') continue;
    if (!line.ready) throw new Error(`the service at ${dir} started without a verified model`);
    // Keep draining its log so the pipe never blocks the service.
    child.stdout!.resume();
    return { child, port: line.port };
  }
  throw new Error(`the service for ${dir} exited before listening`);
}

function post(agent: Agent, port: number, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/rank', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.byteLength } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`POST /v1/rank answered ${res.statusCode}`));
        res.on('data', () => undefined);
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function benchPrecision(root: string, precision: Precision, requests: RankRequest[]) {
  const dir = join(root, precision);
  const manifest = await writeModelDir(dir, { precision });
  const ranker = await Ranker.load(await readFile(join(dir, MODEL_FILE)), manifest.io);
  const inProcess = await measure((i) => ranker.score(requests[i % requests.length]!), 1);
  await ranker.release();

  const bodies = requests.map((r) => Buffer.from(JSON.stringify(r)));
  const { child, port } = await startService(dir);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    let cpuAtStart: number | undefined;
    let serverCpuUsPerRequest: number | undefined;
    const service = await measure((i) => post(agent, port, bodies[i % bodies.length]!), CONCURRENCY, async (phase, count) => {
      const cpu = await cpuSeconds(child.pid!);
      if (phase === 'start') cpuAtStart = cpu;
      else if (cpu !== undefined && cpuAtStart !== undefined) serverCpuUsPerRequest = ((cpu - cpuAtStart) / count) * 1e6;
    });
    return { precision, bytes: manifest.bytes, inProcess, service, serverCpuUsPerRequest };
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

export async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-inference-'));
  const requests = generateRequests({ seed: 1, count: 200, candidates: CANDIDATES });
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadAtStart = load();
  try {
    const rows = [];
    for (const precision of ['fp32', 'int8'] as const) rows.push(await benchPrecision(root, precision, requests));
    const ms = (x: number) => x.toFixed(3);
    const lines = [
      `machine: ${availableParallelism()} cores, load average ${loadAtStart} at start, ${load()} at end (client and service share them)`,
      `inference: POST /v1/rank, 1 user x ${CANDIDATES} candidates; latency over ${LATENCY_SAMPLES} sequential calls, ` +
        `throughput over ${THROUGHPUT_MS / 1000} s (service: ${CONCURRENCY} in flight on a keep-alive loopback; in-process: one after another)`,
      '',
      '| model | path                 | p50 ms | p99 ms | req/s  |',
      '|-------|----------------------|--------|--------|--------|',
    ];
    const verdicts: string[] = [];
    for (const r of rows) {
      const row = (path: string, f: Figures) =>
        `| ${r.precision.padEnd(5)} | ${path.padEnd(20)} | ${ms(f.p50Ms).padStart(6)} | ${ms(f.p99Ms).padStart(6)} | ${f.perSecond.toFixed(0).padStart(6)} |`;
      lines.push(row('in-process (Ranker)', r.inProcess), row('HTTP over loopback', r.service));
      const added = r.service.p50Ms - r.inProcess.p50Ms;
      const share = r.service.perSecond / r.inProcess.perSecond;
      verdicts.push(
        `${r.precision}: service adds ${ms(added)} ms at p50 (goal <= 0.5: ${added <= 0.5 ? 'met' : 'MISSED'}); ` +
          `keeps ${(share * 100).toFixed(0)}% of in-process throughput (goal >= 50%: ${share >= 0.5 ? 'met' : 'MISSED'}); ` +
          `service CPU ${r.serverCpuUsPerRequest === undefined ? 'n/a' : `${r.serverCpuUsPerRequest.toFixed(0)} µs`} per request ` +
          `against ${((1 / r.inProcess.perSecond) * 1e6).toFixed(0)} µs per in-process call; model ${r.bytes} bytes`,
      );
    }
    console.log([...lines, '', ...verdicts].join('\n'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
