// The two-tower forward pass in plain TypeScript over the weights a build produced. It gives the probe set's
// expected scores without onnxruntime, so a model is checked against an independent implementation.
import { FEATURE_DIM, type RankRequest } from '../common/contract';
import type { QuantizedTensor } from './quantize';

export const EMBEDDING_DIM = 64;
export const HIDDEN_DIM = 64;
export const OUTPUT_DIM = 32;
export const TOWER_INPUT_DIM = EMBEDDING_DIM + FEATURE_DIM;

const { fround, max, min } = Math;

/**
 * Rows of an embedding table: the whole table row-major ([vocab, width]), or only the rows some requests touch
 * (a large model's probe set keeps those, never the table).
 */
export type EmbeddingRows = Float32Array | ReadonlyMap<number, Float32Array>;

/** One tower's weights as the graph uses them (after dequantization for int8), row-major. */
export interface TowerWeights {
  /** [vocab, embedding width] */
  embedding: EmbeddingRows;
  /** [embedding width + FEATURE_DIM, hidden width] */
  w1: Float32Array;
  b1: Float32Array;
  /** [hidden width, output width] */
  w2: Float32Array;
  b2: Float32Array;
  /**
   * For a model that quantizes its activations too: the int8 w1 and w2 (one scale per output column), each
   * MatMul computed as DynamicQuantizeLinear of its input ► MatMulInteger ► scale. Absent: float MatMuls.
   */
  dynamic?: { w1: QuantizedTensor; w2: QuantizedTensor };
}

export interface ModelWeights {
  user: TowerWeights;
  item: TowerWeights;
}

function embeddingRow(t: TowerWeights, id: number, width: number): Float32Array {
  if (t.embedding instanceof Float32Array) return t.embedding.subarray(id * width, (id + 1) * width);
  const row = t.embedding.get(id);
  if (!row) throw new RangeError(`embedding row ${id} was not kept`);
  return row;
}

/** Y = X·W + b for row-major X [rows, inputs] and W [inputs, outputs], accumulated in float64, rounded to float32. */
function floatLayer(x: Float32Array, w: Float32Array, b: Float32Array): Float32Array {
  const outputs = b.length;
  const inputs = w.length / outputs;
  const y = new Float32Array((x.length / inputs) * outputs);
  for (let r = 0; r < x.length / inputs; r++) {
    for (let j = 0; j < outputs; j++) {
      let sum = b[j]!;
      for (let i = 0; i < inputs; i++) sum += x[r * inputs + i]! * w[i * outputs + j]!;
      y[r * outputs + j] = sum;
    }
  }
  return y;
}

/** Round half to even, as onnxruntime's quantizers round. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * DynamicQuantizeLinear ► MatMulInteger ► ×(x scale · w column scale) + b, in onnxruntime's float32 steps. X is
 * quantized as one tensor (all rows of the batch share its scale, so a candidate's score depends a little on the
 * other candidates): uint8 with scale (max(X,0) − min(X,0)) / 255 and a zero point that makes 0 exact.
 */
function dynamicLayer(x: Float32Array, w: QuantizedTensor, b: Float32Array): Float32Array {
  let lo = 0;
  let hi = 0;
  for (const v of x) {
    lo = min(lo, v);
    hi = max(hi, v);
  }
  const scale = hi === lo ? 1 : fround(fround(hi - lo) / 255);
  const zeroPoint = roundHalfEven(max(0, min(255, fround(0 - fround(lo / scale)))));
  const q = Int32Array.from(x, (v) => max(0, min(255, roundHalfEven(fround(v / scale)) + zeroPoint)) - zeroPoint);
  const outputs = b.length;
  const inputs = w.values.length / outputs;
  const y = new Float32Array((x.length / inputs) * outputs);
  for (let r = 0; r < x.length / inputs; r++) {
    for (let j = 0; j < outputs; j++) {
      let sum = 0;
      for (let i = 0; i < inputs; i++) sum += q[r * inputs + i]! * w.values[i * outputs + j]!;
      y[r * outputs + j] = fround(fround(sum * fround(scale * w.scales[j]!)) + b[j]!);
    }
  }
  return y;
}

/** The tower's output vectors, row-major [ids.length, output width], for a batch of ids with their features. */
function towerVectors(t: TowerWeights, ids: readonly number[], features: readonly (readonly number[])[]): Float32Array {
  const width = t.w1.length / t.b1.length - FEATURE_DIM;
  const inputs = width + FEATURE_DIM;
  const x = new Float32Array(ids.length * inputs);
  ids.forEach((id, r) => {
    x.set(embeddingRow(t, id, width), r * inputs);
    x.set(features[r]!, r * inputs + width);
  });
  const hidden = t.dynamic ? dynamicLayer(x, t.dynamic.w1, t.b1) : floatLayer(x, t.w1, t.b1);
  for (let j = 0; j < hidden.length; j++) hidden[j] = max(0, hidden[j]!);
  return t.dynamic ? dynamicLayer(hidden, t.dynamic.w2, t.b2) : floatLayer(hidden, t.w2, t.b2);
}

/** Scores of each candidate, accumulated in float64 and rounded to float32 per layer. */
export function referenceScores(weights: ModelWeights, req: RankRequest): number[] {
  const user = towerVectors(weights.user, [req.userId], [req.userFeatures]);
  const items = towerVectors(weights.item, req.candidates.map((c) => c.itemId), req.candidates.map((c) => c.features));
  return req.candidates.map((_, r) => {
    let sum = 0;
    for (let k = 0; k < user.length; k++) sum += items[r * user.length + k]! * user[k]!;
    return fround(sum);
  });
}
