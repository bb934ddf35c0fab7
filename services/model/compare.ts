// What quantization costs: two models scored on the same seeded requests, with their size and precision ratios.
import { readFile } from 'node:fs/promises';
import { rankingOf, type Precision } from '../common/contract';
import { readModelDir } from './manifest';
import { Ranker } from './ranker';
import { generateRequests } from './requests';

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

export interface ModelComparison extends Agreement {
  a: ComparedModel;
  b: ComparedModel;
  candidates: number;
  /** bytes_b / bytes_a: 0.27 means B is 3.7x smaller. */
  sizeRatio: number;
  /** bits_b / bits_a of the weights: 8/32 = 0.25 for int8 against fp32. */
  precisionRatio: number;
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

/** Scores `generateRequests({seed, count: requests, candidates})` with both models (directories with a manifest). */
export async function compareModels(dirA: string, dirB: string, opts: CompareOptions = {}): Promise<ModelComparison> {
  const count = opts.requests ?? 1000;
  const candidates = opts.candidates ?? 100;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`requests must be a positive integer, got ${count}`);
  if (candidates < TOP_K) throw new RangeError(`candidates must be at least ${TOP_K} to compare top-${TOP_K} sets, got ${candidates}`);
  const requests = generateRequests({ seed: opts.seed ?? 1, count, candidates });
  const [a, b] = await Promise.all([openModel(dirA), openModel(dirB)]);
  try {
    const pairs: [Float32Array, Float32Array][] = [];
    for (const req of requests) pairs.push(await Promise.all([a.ranker.score(req), b.ranker.score(req)]));
    return {
      a: a.described,
      b: b.described,
      candidates,
      ...agreement(pairs),
      sizeRatio: b.described.bytes / a.described.bytes,
      precisionRatio: PRECISION_BITS[b.described.precision] / PRECISION_BITS[a.described.precision],
    };
  } finally {
    await Promise.all([a.ranker.release(), b.ranker.release()]);
  }
}

/** A few lines for a terminal. */
export function formatComparison(c: ModelComparison): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const model = (m: ComparedModel) => `${m.version} (${m.precision}, ${m.bytes} bytes)`;
  return [
    `A: ${model(c.a)}`,
    `B: ${model(c.b)}`,
    `over ${c.requests} seeded requests of ${c.candidates} candidates:`,
    `  max |score delta|    ${c.maxAbsScoreDelta.toPrecision(3)}`,
    `  top-10 overlap       mean ${pct(c.meanTop10Overlap)}, min ${pct(c.minTop10Overlap)}`,
    `  same top-1           ${pct(c.sameTop1Rate)}`,
    `  size ratio B/A       ${c.sizeRatio.toFixed(3)} (${(1 / c.sizeRatio).toFixed(2)}x smaller)`,
    `  precision ratio B/A  ${c.precisionRatio} (${PRECISION_BITS[c.b.precision]}/${PRECISION_BITS[c.a.precision]} bits)`,
  ].join('\n');
}

async function openModel(dir: string): Promise<{ described: ComparedModel; ranker: Ranker }> {
  const { manifest, modelPath } = await readModelDir(dir);
  const bytes = await readFile(modelPath);
  const described = { dir, version: manifest.version, sha256: manifest.sha256, precision: manifest.precision, bytes: bytes.byteLength };
  return { described, ranker: await Ranker.load(bytes, manifest.io) };
}
