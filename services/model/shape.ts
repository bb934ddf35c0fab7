// The sizes of a two-tower model, and the presets `drill model build --size` names. The embedding tables are
// nearly all of a model's bytes, so a preset grows the item vocabulary (the catalogue) and keeps the towers.
import { FEATURE_DIM } from '../common/contract';
import { ITEM_VOCAB, type Manifest, USER_VOCAB } from './manifest';
import { EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM } from './reference';

export interface ModelShape {
  /** Rows of the user and item embedding tables. */
  userVocab: number;
  itemVocab: number;
  /** Width of an embedding row; a tower's input is this plus the 16 features. */
  embeddingDim: number;
  /** Width of each tower's hidden layer and of the user/item vectors whose dot product is the score. */
  hiddenDim: number;
  outputDim: number;
}

export const DEFAULT_SHAPE: Readonly<ModelShape> = { userVocab: USER_VOCAB, itemVocab: ITEM_VOCAB, embeddingDim: EMBEDDING_DIM, hiddenDim: HIDDEN_DIM, outputDim: OUTPUT_DIM };

const MIB = 2 ** 20;
const FLOAT_BYTES = 4;

/** fp32 weight bytes of a model of this shape (the file adds ~1 KB of graph). */
export function weightBytes(s: ModelShape): number {
  const input = s.embeddingDim + FEATURE_DIM;
  const mlp = input * s.hiddenDim + s.hiddenDim + s.hiddenDim * s.outputDim + s.outputDim;
  return ((s.userVocab + s.itemVocab) * s.embeddingDim + 2 * mlp) * FLOAT_BYTES;
}

/** The item vocabulary that makes an fp32 model of `mib` MiB with the default towers and user table. */
function itemVocabFor(mib: number): number {
  const rowBytes = DEFAULT_SHAPE.embeddingDim * FLOAT_BYTES;
  return Math.round((mib * MIB - weightBytes({ ...DEFAULT_SHAPE, itemVocab: 0 })) / rowBytes);
}

/** fp32 sizes by name; `8mb` is the default model every drill uses. */
export const SIZE_PRESETS: Readonly<Record<string, ModelShape>> = {
  '8mb': DEFAULT_SHAPE,
  '128mb': { ...DEFAULT_SHAPE, itemVocab: itemVocabFor(128) },
  '512mb': { ...DEFAULT_SHAPE, itemVocab: itemVocabFor(512) },
  '1gb': { ...DEFAULT_SHAPE, itemVocab: itemVocabFor(1024) },
};

// Past this the fp32 file outgrows protobuf's 2 GiB message limit, which onnxruntime enforces on load.
const MAX_WEIGHT_BYTES = 2 ** 31 - MIB;
const LIMITS: Readonly<Record<keyof ModelShape, number>> = { userVocab: 2 ** 31 - 1, itemVocab: 2 ** 31 - 1, embeddingDim: 4096, hiddenDim: 4096, outputDim: 4096 };

/** The shape with `overrides` applied, or a RangeError naming the field and value that cannot be built. */
export function resolveShape(overrides: Partial<ModelShape> = {}): ModelShape {
  const shape = { ...DEFAULT_SHAPE, ...overrides };
  for (const [field, max] of Object.entries(LIMITS) as [keyof ModelShape, number][]) {
    const v = shape[field];
    if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${field} must be an integer in 1..${max}, got ${v}`);
  }
  const bytes = weightBytes(shape);
  if (bytes > MAX_WEIGHT_BYTES) throw new RangeError(`a model of ${(bytes / MIB).toFixed(0)} MiB exceeds the 2 GiB an ONNX file can hold`);
  return shape;
}

export function isDefaultShape(s: ModelShape): boolean {
  return (Object.keys(DEFAULT_SHAPE) as (keyof ModelShape)[]).every((k) => s[k] === DEFAULT_SHAPE[k]);
}

/** A preset's shape, or an error listing the presets. */
export function presetShape(name: string): ModelShape {
  const shape = SIZE_PRESETS[name.toLowerCase()];
  if (!shape) throw new RangeError(`size must be one of ${Object.keys(SIZE_PRESETS).join(', ')}, got "${name}"`);
  return shape;
}

/** The shape of a two-tower model built here (its manifest has a seed), or undefined for a model from elsewhere. */
export function shapeOf(manifest: Manifest): ModelShape | undefined {
  if (manifest.seed === undefined) return undefined;
  const { userId = USER_VOCAB, itemIds = ITEM_VOCAB } = manifest.io.vocab;
  const widths = manifest.widths ?? { embedding: EMBEDDING_DIM, hidden: HIDDEN_DIM, output: OUTPUT_DIM };
  return { userVocab: userId, itemVocab: itemIds, embeddingDim: widths.embedding, hiddenDim: widths.hidden, outputDim: widths.output };
}

/**
 * Weight bytes one request reads: the user's and each candidate's embedding row, and both towers' MLP weights.
 * int8 stores a row as one byte per value plus its float32 scale, an MLP weight as one byte plus a float32 scale
 * per output column; biases stay float32.
 */
export function weightBytesPerRequest(s: ModelShape, int8: boolean, candidates: number): number {
  const input = s.embeddingDim + FEATURE_DIM;
  const row = int8 ? s.embeddingDim + FLOAT_BYTES : s.embeddingDim * FLOAT_BYTES;
  const matrix = (rows: number, cols: number) => (int8 ? rows * cols + cols * FLOAT_BYTES : rows * cols * FLOAT_BYTES);
  const mlp = matrix(input, s.hiddenDim) + matrix(s.hiddenDim, s.outputDim) + (s.hiddenDim + s.outputDim) * FLOAT_BYTES;
  return (1 + candidates) * row + 2 * mlp;
}
