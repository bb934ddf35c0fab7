// Model scale benchmark: what a replica pays to verify, load and serve a model as it grows from the drills'
// 8 MB to 1 GB, fp32 and both int8 variants, with the slope of each cost per GB. Each model is measured in a
// process of its own, so its resident memory is that model's alone. Built models are cached by their options.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { BuildOptions } from '../services/model/build';
import { sizedModelsDir } from '../harness/run/sized-models';
import { cachedModelDir } from '../services/model/cache';
import { readModelDir } from '../services/model/manifest';
import { checkProbes } from '../services/model/probes';
import { Ranker } from '../services/model/ranker';
import { generateRequests } from '../services/model/requests';
import { presetShape } from '../services/model/shape';
import { type ContainerRow, containerTable, measureContainerRow, STANDBY_MODES } from './model-scale-containers';
import { percentile, slope } from './stats';

const SIZES = ['8mb', '128mb', '512mb', '1gb'];
const VARIANTS: readonly [string, BuildOptions][] = [
  ['fp32', {}],
  ['int8 weight-only', { precision: 'int8' }],
  ['int8 dynamic', { precision: 'int8', quantization: 'dynamic' }],
];
const CANDIDATES = 100;
const WARMUP = 100;
const SAMPLES = 2000;

interface Measured {
  bytes: number;
  sha256Seconds: number;
  sessionSeconds: number;
  probeSeconds: number;
  /** Resident memory the loaded session added to the process. */
  residentBytes: number;
  p50Ms: number;
  p99Ms: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** In the measuring child: verify, load, probe and time one model directory. */
async function measure(dir: string): Promise<Measured> {
  const { manifest, modelPath } = await readModelDir(dir);
  let started = performance.now();
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(modelPath, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== manifest.sha256) throw new Error(`${modelPath}: sha256 does not match ${dir}/manifest.json`);
  const sha256Seconds = seconds(started);
  const rssBefore = process.memoryUsage().rss;
  started = performance.now();
  const ranker = await Ranker.load(modelPath, manifest.io);
  const sessionSeconds = seconds(started);
  started = performance.now();
  const problem = await checkProbes((req) => ranker.score(req), manifest.probes ?? [], manifest.precision);
  if (problem) throw new Error(`${dir}: ${problem}`);
  const probeSeconds = seconds(started);
  const requests = generateRequests({ seed: 1, count: WARMUP + SAMPLES, candidates: CANDIDATES, vocab: manifest.io.vocab });
  const wall: number[] = [];
  for (const [i, req] of requests.entries()) {
    const t = performance.now();
    await ranker.score(req);
    if (i >= WARMUP) wall.push(performance.now() - t);
  }
  const residentBytes = process.memoryUsage().rss - rssBefore;
  await ranker.release();
  return { bytes: manifest.bytes, sha256Seconds, sessionSeconds, probeSeconds, residentBytes, p50Ms: percentile(wall, 50), p99Ms: percentile(wall, 99) };
}

async function measureInChild(dir: string): Promise<Measured> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', __filename, dir], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Measured;
}

async function cpuPressure(): Promise<string> {
  const text = await readFile('/proc/pressure/cpu', 'utf8').catch(() => '');
  return /some avg10=([\d.]+)/.exec(text)?.[1] ?? 'n/a';
}

const GB = 1e9;
const MB = 2 ** 20;
const COLUMNS = ['sha256 s', 'session s', 'probes s', 'resident MB', 'p50 ms', 'p99 ms'] as const;
const cells = (m: Measured) => [m.sha256Seconds.toFixed(3), m.sessionSeconds.toFixed(3), m.probeSeconds.toFixed(3), (m.residentBytes / MB).toFixed(0), m.p50Ms.toFixed(3), m.p99Ms.toFixed(3)];
const slopeOf = (rows: readonly Measured[], pick: (m: Measured) => number) => slope(rows.map((m) => [m.bytes / GB, pick(m)]));

function printTable(rows: readonly string[][]): void {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

async function inProcessTable(sizes: readonly string[]): Promise<void> {
  const pressureBefore = await cpuPressure();
  const table: string[][] = [];
  const slopes: string[][] = [];
  for (const [variant, options] of VARIANTS) {
    const rows: Measured[] = [];
    for (const size of sizes) {
      const { dir, built } = await cachedModelDir({ ...options, shape: presetShape(size) }, sizedModelsDir());
      const m = await measureInChild(dir);
      rows.push(m);
      table.push([size, variant, (m.bytes / MB).toFixed(1), ...cells(m), built ? 'built now' : 'cached']);
    }
    const perGb = [
      slopeOf(rows, (m) => m.sha256Seconds).toFixed(3),
      slopeOf(rows, (m) => m.sessionSeconds).toFixed(3),
      slopeOf(rows, (m) => m.probeSeconds).toFixed(4),
      slopeOf(rows, (m) => m.residentBytes / MB).toFixed(0),
      slopeOf(rows, (m) => m.p50Ms).toFixed(4),
      slopeOf(rows, (m) => m.p99Ms).toFixed(4),
    ];
    slopes.push(['per GB of file', variant, '', ...perGb, '']);
  }
  printTable([['size', 'variant', 'file MB', ...COLUMNS, 'model'], ...table, ...slopes]);
  console.log(`in process, one onnxruntime thread, 1 user x ${CANDIDATES} candidates, ${SAMPLES} requests per model; CPU pressure (PSI some avg10) ${pressureBefore}% before, ${await cpuPressure()}% after`);
}

async function containersTable(sizes: readonly string[]): Promise<void> {
  const pressureBefore = await cpuPressure();
  const rows: ContainerRow[] = [];
  for (const mode of STANDBY_MODES) {
    for (const size of sizes) {
      rows.push(await measureContainerRow(size, mode));
      console.log(`  measured ${size} ${mode} standby (CPU pressure ${await cpuPressure()}%)`);
    }
  }
  printTable(containerTable(rows));
  console.log(`replica containers of the drills' topology (reference server, sync through Toxiproxy every 200 ms), one topology at a time; slopes per GB of the fp32 model; CPU pressure (PSI some avg10) ${pressureBefore}% before, ${await cpuPressure()}% after`);
}

/**
 * BENCH_MODEL_SIZES (e.g. 8mb,128mb) picks the sizes; BENCH_MODEL_SCALE=in-process or containers runs one table
 * of the two.
 */
export async function run(): Promise<void> {
  const sizes = process.env.BENCH_MODEL_SIZES?.split(',').map((s) => s.trim()) ?? SIZES;
  for (const size of sizes) presetShape(size);
  const only = process.env.BENCH_MODEL_SCALE;
  if (only !== undefined && only !== 'in-process' && only !== 'containers') throw new Error(`BENCH_MODEL_SCALE must be in-process or containers, got "${only}"`);
  if (only !== 'containers') await inProcessTable(sizes);
  if (only !== 'in-process') await containersTable(sizes);
}

if (require.main === module) {
  const [dir] = process.argv.slice(2);
  if (!dir) throw new Error('usage: model-scale.ts MODEL_DIR (measures one model; `npm run bench model-scale` runs them all)');
  void measure(dir).then((m) => process.stdout.write(`${JSON.stringify(m)}\n`));
}
