// The two-tower forward pass in plain TypeScript over the weights a build produced. It gives the probe set's
// expected scores without onnxruntime, so a model is checked against an independent implementation.
import { FEATURE_DIM, type RankRequest } from '../common/contract';

export const EMBEDDING_DIM = 64;
export const HIDDEN_DIM = 64;
export const OUTPUT_DIM = 32;
export const TOWER_INPUT_DIM = EMBEDDING_DIM + FEATURE_DIM;

/** One tower's weights as the graph uses them (after dequantization for int8), row-major. */
export interface TowerWeights {
  /** [vocab, EMBEDDING_DIM] */
  embedding: Float32Array;
  /** [TOWER_INPUT_DIM, HIDDEN_DIM] */
  w1: Float32Array;
  b1: Float32Array;
  /** [HIDDEN_DIM, OUTPUT_DIM] */
  w2: Float32Array;
  b2: Float32Array;
}

export interface ModelWeights {
  user: TowerWeights;
  item: TowerWeights;
}

function towerVector(t: TowerWeights, id: number, features: readonly number[]): Float32Array {
  const x = new Float32Array(TOWER_INPUT_DIM);
  x.set(t.embedding.subarray(id * EMBEDDING_DIM, (id + 1) * EMBEDDING_DIM));
  x.set(features, EMBEDDING_DIM);
  const hidden = new Float32Array(HIDDEN_DIM);
  for (let j = 0; j < HIDDEN_DIM; j++) {
    let sum = t.b1[j]!;
    for (let i = 0; i < TOWER_INPUT_DIM; i++) sum += x[i]! * t.w1[i * HIDDEN_DIM + j]!;
    hidden[j] = Math.max(0, sum);
  }
  const out = new Float32Array(OUTPUT_DIM);
  for (let k = 0; k < OUTPUT_DIM; k++) {
    let sum = t.b2[k]!;
    for (let j = 0; j < HIDDEN_DIM; j++) sum += hidden[j]! * t.w2[j * OUTPUT_DIM + k]!;
    out[k] = sum;
  }
  return out;
}

/** Scores of each candidate, accumulated in float64 and rounded to float32 per layer. */
export function referenceScores(weights: ModelWeights, req: RankRequest): number[] {
  const user = towerVector(weights.user, req.userId, req.userFeatures);
  return req.candidates.map((c) => {
    const item = towerVector(weights.item, c.itemId, c.features);
    let sum = 0;
    for (let k = 0; k < OUTPUT_DIM; k++) sum += item[k]! * user[k]!;
    return Math.fround(sum);
  });
}
