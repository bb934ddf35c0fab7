// What quantization costs and buys: models scored on the same seeded requests against a reference, with their
// size and precision ratios, the weight bytes and CPU a request takes, and how far their answers move.
import { stat } from 'node:fs/promises';
import { type Precision, rankingOf, type RankRequest } from '../common/contract';
import { type Quantization, readModelDir } from './manifest';
import { Ranker } from './ranker';
import { generateRequests } from './requests';
import { shapeOf, weightBytesPerRequest } from './shape';

const PRECISION_BITS: Readonly<Record<Precision, number>> = { fp32: 32, int8: 8 };
const TOP_K = 10;

export interface CompareOptions {
  /** Seeded requests to score (default 1000). */
  requests?: number;
  /** Candidates per request (default 100). */
  candidates?: number;
  /** Request seed (default 1). */
  seed?: number;
}

export interface ComparedModel {
  dir: string;
  version: string;
  sha256: string;
  precision: Precision;
  /** For int8: weight-only (float MatMuls) or dynamic (int8 MatMuls). */
  quantization?: Quantization;
  bytes: number;
}

/** How closely two scorers agree over the same requests. */
export interface Agreement {
  requests: number;
  /** Largest |score_b - score_a| over every candidate of every request. */
  maxAbsScoreDelta: number;
  /** Share of A's top 10 also in B's top 10, averaged over requests and at its worst; 1 = identical sets. */
  meanTop10Overlap: number;
  minTop10Overlap: number;
  /** Share of requests where both put the same candidate first. */
  sameTop1Rate: number;
}

/** What serving a model costs per request, measured in this process (one onnxruntime thread). */
export interface RunCost {
  /** Weight bytes one request reads (looked-up rows + MLP weights); undefined for a model from elsewhere. */
  bytesPerRequest: number | undefined;
  /** CPU time per request and the median wall time of one request, in milliseconds. */
  cpuMsPerRequest: number;
  p50Ms: number;
}

/** One model against the reference: what it saves, what it costs to run, and how far its answers move. */
export interface ComparedVariant extends Agreement, RunCost {
  model: ComparedModel;
  /** bytes / reference bytes: 0.27 means 3.7x smaller. */
  sizeRatio: number;
  /** bits of the weights / the reference's: 8/32 = 0.25 for int8 against fp32. */
  precisionRatio: number;
}

export interface ModelComparison {
  requests: number;
  candidates: number;
  /** The reference first (agreeing with itself), then each variant in the order given. */
  rows: ComparedVariant[];
}

/** Agreement of score pairs (A's and B's scores for the same request). Shared by `drill model compare` and drills. */
export function agreement(pairs: Iterable<readonly [ArrayLike<number>, ArrayLike<number>]>): Agreement {
  let requests = 0;
  let maxAbsScoreDelta = 0;
  let overlapSum = 0;
  let minTop10Overlap = 1;
  let sameTop1 = 0;
  for (const [sa, sb] of pairs) {
    requests++;
    if (sa.length !== sb.length) throw new RangeError(`score lists differ in length: ${sa.length} and ${sb.length}`);
    for (let i = 0; i < sa.length; i++) maxAbsScoreDelta = Math.max(maxAbsScoreDelta, Math.abs(sb[i]! - sa[i]!));
    const k = Math.min(TOP_K, sa.length);
    const topA = rankingOf(sa).slice(0, k);
    const rankedB = rankingOf(sb);
    const topB = new Set(rankedB.slice(0, k));
    const overlap = topA.filter((i) => topB.has(i)).length / k;
    overlapSum += overlap;
    minTop10Overlap = Math.min(minTop10Overlap, overlap);
    if (topA[0] === rankedB[0]) sameTop1++;
  }
  if (requests === 0) throw new RangeError('no score pairs to compare');
  return { requests, maxAbsScoreDelta, meanTop10Overlap: overlapSum / requests, minTop10Overlap, sameTop1Rate: sameTop1 / requests };
}

// Requests scored before timing starts: the first runs of a session allocate its buffers.
const WARM_UP = 20;

/**
 * Scores `generateRequests({seed, count: requests, candidates})` with the reference and then each variant (one
 * model loaded at a time, so a large pair need not fit in memory together) and compares each with the reference.
 */
export async function compareModels(referenceDir: string, variantDirs: readonly string[], opts: CompareOptions = {}): Promise<ModelComparison> {
  const count = opts.requests ?? 1000;
  const candidates = opts.candidates ?? 100;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`requests must be a positive integer, got ${count}`);
  if (candidates < TOP_K) throw new RangeError(`candidates must be at least ${TOP_K} to compare top-${TOP_K} sets, got ${candidates}`);
  const requests = generateRequests({ seed: opts.seed ?? 1, count, candidates });
  const reference = await scoreModel(referenceDir, requests);
  const row = (run: ScoredModel): ComparedVariant => ({
    model: run.model,
    ...agreement(reference.scores.map((s, i) => [s, run.scores[i]!] as const)),
    ...run.cost,
    sizeRatio: run.model.bytes / reference.model.bytes,
    precisionRatio: PRECISION_BITS[run.model.precision] / PRECISION_BITS[reference.model.precision],
  });
  const rows = [row(reference)];
  for (const dir of variantDirs) rows.push(row(await scoreModel(dir, requests)));
  return { requests: count, candidates, rows };
}

const variantName = (m: ComparedModel): string => (m.precision === 'fp32' ? 'fp32' : `int8 ${m.quantization ?? 'weight-only'}`);

/** One table for a terminal: a row per model. */
export function formatComparison(c: ModelComparison): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const header = ['model', 'bytes', 'size ratio', 'weight bytes/req', 'CPU ms/req', 'p50 ms', 'max |Δscore|', 'top-10 mean', 'top-10 worst', 'same top-1'];
  const body = c.rows.map((r) => [
    variantName(r.model),
    String(r.model.bytes),
    `${r.sizeRatio.toFixed(3)} (${(1 / r.sizeRatio).toFixed(2)}x smaller)`,
    r.bytesPerRequest === undefined ? '-' : String(r.bytesPerRequest),
    r.cpuMsPerRequest.toFixed(3),
    r.p50Ms.toFixed(3),
    r.maxAbsScoreDelta.toPrecision(3),
    pct(r.meanTop10Overlap),
    pct(r.minTop10Overlap),
    pct(r.sameTop1Rate),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    `over ${c.requests} seeded requests of ${c.candidates} candidates, against ${c.rows[0]!.model.version}:`,
    line(header),
    ...body.map(line),
    ...c.rows.map((r) => `  ${variantName(r.model).padEnd(17)} ${r.model.version}  ${r.model.dir}`),
  ].join('\n');
}

interface ScoredModel {
  model: ComparedModel;
  scores: Float32Array[];
  cost: RunCost;
}

async function scoreModel(dir: string, requests: readonly RankRequest[]): Promise<ScoredModel> {
  const { manifest, modelPath } = await readModelDir(dir);
  const { size } = await stat(modelPath);
  const model: ComparedModel = { dir, version: manifest.version, sha256: manifest.sha256, precision: manifest.precision, ...(manifest.quantization ? { quantization: manifest.quantization } : {}), bytes: size };
  const ranker = await Ranker.load(modelPath, manifest.io);
  try {
    for (const req of requests.slice(0, WARM_UP)) await ranker.score(req);
    const scores: Float32Array[] = [];
    const wall: number[] = [];
    const cpu = process.cpuUsage();
    for (const req of requests) {
      const started = performance.now();
      scores.push(await ranker.score(req));
      wall.push(performance.now() - started);
    }
    const used = process.cpuUsage(cpu);
    const shape = shapeOf(manifest);
    const candidates = requests[0]?.candidates.length ?? 0;
    const cost: RunCost = {
      bytesPerRequest: shape && weightBytesPerRequest(shape, manifest.precision === 'int8', candidates),
      cpuMsPerRequest: (used.user + used.system) / 1000 / requests.length,
      p50Ms: wall.sort((x, y) => x - y)[Math.floor(wall.length / 2)]!,
    };
    return { model, scores, cost };
  } finally {
    await ranker.release();
  }
}
