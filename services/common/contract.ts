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
  return Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
  );
}
