// Inference benchmark: 1 user x 100 candidates over loopback as /v1/rank JSON, Open Inference Protocol v2 JSON and
// v2 binary tensors, against the same model scored by Ranker in-process, for fp32 and int8, in one run. The service
// runs in its own process, as in a container; the client sends prepared bodies and only drains the answers. Beside
// fp32's rows, KServe's ModelServer (a real OIP v2 server from PyPI, in its container) on v2 binary.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pressureBetween, readPressure } from '../harness/measure/pressure';
import { prepare } from '../harness/prepare';
import { startKserveTopology } from '../harness/topology/kserve-topology';
import type { Precision, RankRequest } from '../services/common/contract';
import { type EncodedRequest, encodeInferRequest } from '../services/inference/oip-v2-client';
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
/** Sequential latency samples of the KServe replica (milliseconds each, tens of them on a loaded machine). */
const KSERVE_SAMPLES = 300;
/** Requests kept in flight to measure the service's throughput. */
const CONCURRENCY = 4;
const V2_INFER = '/v2/models/two-tower-ranker/infer';

interface Figures {
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
}

/** One way of asking the service: a route and the requests, encoded before anything is timed. */
interface Protocol {
  label: string;
  path: string;
  requests: EncodedRequest[];
  /** The goal for what it adds to in-process p50, in ms. */
  goalAddedMs?: number;
}

interface Row {
  label: string;
  figures: Figures;
  serverCpuUsPerRequest?: number;
  goalAddedMs?: number;
}

function protocols(requests: RankRequest[]): Protocol[] {
  const v2 = (binary: boolean) => requests.map((r) => encodeInferRequest(r, { binaryInputs: binary, binaryOutputs: binary }));
  const v1 = requests.map((r) => ({ body: Buffer.from(JSON.stringify(r)), headers: { 'content-type': 'application/json' } }));
  return [
    { label: '/v1/rank JSON', path: '/v1/rank', requests: v1, goalAddedMs: 0.5 },
    { label: 'v2 JSON', path: V2_INFER, requests: v2(false) },
    { label: 'v2 binary', path: V2_INFER, requests: v2(true), goalAddedMs: 0.3 },
  ];
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
async function measure(call: (i: number) => Promise<unknown>, concurrency: number, onThroughput?: (phase: 'start' | 'end', count: number) => Promise<void>, samples = { warmup: WARMUP, latency: LATENCY_SAMPLES }): Promise<Figures> {
  for (let i = 0; i < samples.warmup; i++) await call(i);
  const latencies: number[] = [];
  for (let i = 0; i < samples.latency; i++) {
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

function post(agent: Agent, port: number, path: string, { body, headers }: EncodedRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-length': body.byteLength } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`POST ${path} answered ${res.statusCode}`));
      res.on('data', () => undefined);
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One protocol against the running service, with the service's CPU per request over the throughput phase (when
 * `pid` is a process of this machine's).
 */
async function measureService(pid: number | undefined, port: number, protocol: Protocol, samples?: Parameters<typeof measure>[3]): Promise<Row> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let cpuAtStart: number | undefined;
  let serverCpuUsPerRequest: number | undefined;
  try {
    const { requests } = protocol;
    const figures = await measure((i) => post(agent, port, protocol.path, requests[i % requests.length]!), CONCURRENCY, async (phase, count) => {
      const cpu = pid === undefined ? undefined : await cpuSeconds(pid);
      if (phase === 'start') cpuAtStart = cpu;
      else if (cpu !== undefined && cpuAtStart !== undefined) serverCpuUsPerRequest = ((cpu - cpuAtStart) / count) * 1e6;
    }, samples);
    return { label: protocol.label, figures, ...(serverCpuUsPerRequest === undefined ? {} : { serverCpuUsPerRequest }), ...(protocol.goalAddedMs === undefined ? {} : { goalAddedMs: protocol.goalAddedMs }) };
  } finally {
    agent.destroy();
  }
}

async function benchPrecision(root: string, precision: Precision, requests: RankRequest[]) {
  const dir = join(root, precision);
  const manifest = await writeModelDir(dir, { precision });
  const ranker = await Ranker.load(await readFile(join(dir, MODEL_FILE)), manifest.io);
  const inProcess = await measure((i) => ranker.score(requests[i % requests.length]!), 1);
  await ranker.release();
  const { child, port } = await startService(dir);
  try {
    const rows: Row[] = [];
    for (const protocol of protocols(requests)) rows.push(await measureService(child.pid, port, protocol));
    return { precision, bytes: manifest.bytes, inProcess, rows };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/**
 * KServe's ModelServer (the kserve replica kind's image, built on first use) on v2 binary, asked directly in its
 * container with the fp32 model copied in; the standby and the gateway of its topology sit idle beside it. Fewer
 * latency samples: it answers in milliseconds, not tenths of one. Its CPU is not read (not a process seen from here).
 */
async function benchKserve(requests: RankRequest[]): Promise<Row> {
  const prepared = await prepare();
  await using topology = await startKserveTopology('bench-kserve', prepared);
  const port = Number(new URL(await topology.replicas.primary.directUrl()).port);
  const path = `/v2/models/${prepared.models.fp32.manifest.name}/infer`;
  const binary = requests.map((r) => encodeInferRequest(r, { binaryInputs: true, binaryOutputs: true }));
  // Awaited here: the topology is removed when this scope ends.
  return await measureService(undefined, port, { label: 'KServe v2 binary', path, requests: binary }, { warmup: 50, latency: KSERVE_SAMPLES });
}

/** `some avg10` of /proc/pressure/cpu: the share of the last 10 s in which a runnable task waited for a CPU. */
async function cpuPressureAvg10(): Promise<string> {
  const text = await readFile('/proc/pressure/cpu', 'utf8').catch(() => '');
  return /some avg10=([\d.]+)/.exec(text)?.[1] ?? 'n/a';
}

const ms = (x: number) => x.toFixed(3);

/** The verdict of one protocol against in-process scoring: what it adds at p50, the throughput it keeps, and the goals. */
function verdict(precision: Precision, inProcess: Figures, row: Row): string {
  const added = row.figures.p50Ms - inProcess.p50Ms;
  const share = row.figures.perSecond / inProcess.perSecond;
  const goal = row.goalAddedMs === undefined ? '' : ` (goal <= ${row.goalAddedMs}: ${added <= row.goalAddedMs ? 'met' : 'MISSED'})`;
  const throughputGoal = row.goalAddedMs === undefined ? '' : ` (goal >= 50%: ${share >= 0.5 ? 'met' : 'MISSED'})`;
  const cpu = row.serverCpuUsPerRequest === undefined ? 'n/a' : `${row.serverCpuUsPerRequest.toFixed(0)} µs`;
  return (
    `${precision} ${row.label}: adds ${ms(added)} ms at p50${goal}; keeps ${(share * 100).toFixed(0)}% of in-process throughput${throughputGoal}; ` +
    `service CPU ${cpu} per request against ${((1 / inProcess.perSecond) * 1e6).toFixed(0)} µs per in-process call`
  );
}

export async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-inference-'));
  const requests = generateRequests({ seed: 1, count: 200, candidates: CANDIDATES });
  const avg10AtStart = await cpuPressureAvg10();
  const pressureAtStart = readPressure();
  try {
    const results = [];
    for (const precision of ['fp32', 'int8'] as const) results.push(await benchPrecision(root, precision, requests));
    results[0]!.rows.push(await benchKserve(requests));
    const pressure = pressureBetween(pressureAtStart, readPressure());
    const lines = [
      `machine: ${availableParallelism()} cores (client and service share them); CPU pressure (/proc/pressure/cpu some avg10) ` +
        `${avg10AtStart}% at start, ${await cpuPressureAvg10()}% at end, ${pressure.percent.toFixed(0)}% (${pressure.source}) over the run`,
      `inference: 1 user x ${CANDIDATES} candidates; latency over ${LATENCY_SAMPLES} sequential calls, throughput over ${THROUGHPUT_MS / 1000} s ` +
        `(service: ${CONCURRENCY} in flight on a keep-alive loopback; in-process: one after another)`,
      '',
      '| model | path                 | p50 ms | p99 ms | req/s  |',
      '|-------|----------------------|--------|--------|--------|',
    ];
    const row = (precision: Precision, label: string, f: Figures) =>
      `| ${precision.padEnd(5)} | ${label.padEnd(20)} | ${ms(f.p50Ms).padStart(6)} | ${ms(f.p99Ms).padStart(6)} | ${f.perSecond.toFixed(0).padStart(6)} |`;
    const verdicts: string[] = [];
    for (const r of results) {
      lines.push(row(r.precision, 'in-process (Ranker)', r.inProcess), ...r.rows.map((s) => row(r.precision, s.label, s.figures)));
      verdicts.push(...r.rows.map((s) => verdict(r.precision, r.inProcess, s)), `${r.precision}: model ${r.bytes} bytes`);
    }
    console.log([...lines, '', ...verdicts].join('\n'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
