// What quantization costs: two models scored on the same seeded requests, with their size and precision ratios.
import { readFile } from 'node:fs/promises';
import type { Precision } from '../common/contract';
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

export interface ModelComparison {
  a: ComparedModel;
  b: ComparedModel;
  requests: number;
  candidates: number;
  /** Largest |score_b - score_a| over every candidate of every request. */
  maxAbsScoreDelta: number;
  /** Share of A's top 10 also in B's top 10, averaged over requests and at its worst; 1 = identical sets. */
  meanTop10Overlap: number;
  minTop10Overlap: number;
  /** Share of requests where both put the same candidate first. */
  sameTop1Rate: number;
  /** bytes_b / bytes_a: 0.27 means B is 3.7x smaller. */
  sizeRatio: number;
  /** bits_b / bits_a of the weights: 8/32 = 0.25 for int8 against fp32. */
  precisionRatio: number;
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
    let maxAbsScoreDelta = 0;
    let overlapSum = 0;
    let minTop10Overlap = 1;
    let sameTop1 = 0;
    for (const req of requests) {
      const [sa, sb] = await Promise.all([a.ranker.score(req), b.ranker.score(req)]);
      for (let i = 0; i < sa.length; i++) maxAbsScoreDelta = Math.max(maxAbsScoreDelta, Math.abs(sb[i]! - sa[i]!));
      const topA = topIndexes(sa, TOP_K);
      const topB = new Set(topIndexes(sb, TOP_K));
      const overlap = topA.filter((i) => topB.has(i)).length / TOP_K;
      overlapSum += overlap;
      minTop10Overlap = Math.min(minTop10Overlap, overlap);
      if (topA[0] === topIndexes(sb, 1)[0]) sameTop1++;
    }
    return {
      a: a.described,
      b: b.described,
      requests: count,
      candidates,
      maxAbsScoreDelta,
      meanTop10Overlap: overlapSum / count,
      minTop10Overlap,
      sameTop1Rate: sameTop1 / count,
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
  return { described, ranker: await Ranker.load(bytes) };
}

/** Indexes of the k highest scores, best first, ties by index. */
function topIndexes(scores: Float32Array, k: number): number[] {
  return Array.from(scores.keys())
    .sort((x, y) => scores[y]! - scores[x]! || x - y)
    .slice(0, k);
}
