// The wire contract shared by the inference service, the gateway and the harness (DESIGN.md, "Contracts").
export const FEATURE_DIM = 16;
export const MAX_CANDIDATES = 1000;
export const MAX_BODY_BYTES = 1024 * 1024;

export type Precision = 'fp32' | 'int8';
export type Role = 'primary' | 'standby';

export interface Candidate {
  itemId: number;
  features: number[];
}

export interface RankRequest {
  userId: number;
  userFeatures: number[];
  candidates: Candidate[];
}

export interface ModelIdentity {
  version: string;
  sha256: string;
  precision: Precision;
}

export interface RankResponse {
  scores: number[];
  /** Candidate indexes, best first. */
  ranking: number[];
  model: ModelIdentity;
  replica: { name: string; role: Role };
}

export interface ErrorBody {
  error: { code: string; message: string; path?: string };
}

/** Ranking implied by scores: candidate indexes sorted by descending score, ties by index. */
export function rankingOf(scores: ArrayLike<number>): number[] {
  if (scores instanceof Float32Array && scores.length <= MAX_KEYED && !scores.some(Number.isNaN)) return rankingOfFloat32(scores);
  return Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
  );
}

// A float32 score and its index fit one exact double key (32 + 21 bits), which a typed array sorts natively:
// a third of the time of a sort with a comparator, and the service ranks every answer.
const INDEX_BITS = 2 ** 21;
const MAX_KEYED = INDEX_BITS;
const f32 = new Float32Array(1);
const bits = new Uint32Array(f32.buffer);

function rankingOfFloat32(scores: Float32Array): number[] {
  const n = scores.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    f32[0] = scores[i]! + 0; // -0 ranks as 0
    const u = bits[0]!;
    // Bits that order as the floats do: negatives reversed, positives above them.
    const ordered = u & 0x8000_0000 ? ~u >>> 0 : (u | 0x8000_0000) >>> 0;
    keys[i] = (0xffff_ffff - ordered) * INDEX_BITS + i;
  }
  keys.sort();
  const ranking = new Array<number>(n);
  for (let i = 0; i < n; i++) ranking[i] = keys[i]! % INDEX_BITS;
  return ranking;
}
