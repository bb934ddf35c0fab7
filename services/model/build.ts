// Builds the two-tower ranking model as ONNX from code, deterministically from a seed.
//
//   user_id ─► Gather(user_embedding) ─┐
//   user_features ─────────────────────┴► Concat ► Gemm 80→64 ► Relu ► Gemm 64→32 ► user_vec [1,32]
//   item_ids ─► Gather(item_embedding) ─┐
//   item_features ──────────────────────┴► Concat ► Gemm 80→64 ► Relu ► Gemm 64→32 ► item_vec [N,32]
//   scores [N] = Reshape(Gemm(item_vec, user_vecᵀ), [-1])
//
// The int8 variant quantizes the same seeded weights (embedding tables per row, Gemm weights per output column)
// and dequantizes them in the graph: the tables as Gather(int8 rows) + Gather(row scales) ► DequantizeLinear, so
// only the looked-up rows are expanded; each Gemm weight as DequantizeLinear ► Gemm. Biases stay float32.
import { onnx } from 'onnx-proto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { FEATURE_DIM, type Precision } from '../common/contract';
import { ITEM_VOCAB, type Manifest, MODEL_NAME, sha256Hex, type TensorSpec, TWO_TOWER_IO, USER_VOCAB, writeModelFiles } from './manifest';
import { makeProbes } from './probes';
import { dequantize, quantizePerAxis } from './quantize';
import { EMBEDDING_DIM, HIDDEN_DIM, type ModelWeights, OUTPUT_DIM, TOWER_INPUT_DIM, type TowerWeights } from './reference';

export const DEFAULT_SEED = 42;
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];
const OPSET = 13;
// IR version 7 is the one that goes with opset 13.
const IR_VERSION = 7;

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

// The graph's inputs and output, as the manifest describes them (mapped by TWO_TOWER_IO).
const GRAPH_INPUTS: TensorSpec[] = [
  { name: 'user_id', type: 'int64', shape: [1] },
  { name: 'user_features', type: 'float32', shape: [1, FEATURE_DIM] },
  { name: 'item_ids', type: 'int64', shape: ['N'] },
  { name: 'item_features', type: 'float32', shape: ['N', FEATURE_DIM] },
];
const GRAPH_OUTPUTS: TensorSpec[] = [{ name: 'scores', type: 'float32', shape: ['N'] }];

export interface BuildOptions {
  seed?: number;
  /** fp32 (default) or int8 weights; both come from the same seeded fp32 weights. */
  precision?: Precision;
}

export interface BuiltModel {
  onnx: Uint8Array;
  manifest: Manifest;
}

export function buildModel(opts: BuildOptions = {}): BuiltModel {
  const seed = opts.seed ?? DEFAULT_SEED;
  const precision = opts.precision ?? 'fp32';
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!PRECISIONS.includes(precision)) throw new RangeError(`precision must be one of ${PRECISIONS.join(', ')}, got ${String(precision)}`);
  const weights = generateWeights(seed);
  const fp32 = encodeModel(seed, 'fp32', { user: fp32Tower('user', weights.user), item: fp32Tower('item', weights.item) });
  const manifest = manifestFor(fp32, seed, 'fp32', weights);
  return precision === 'fp32' ? { onnx: fp32, manifest } : quantizeWeights(weights, seed, manifest.sha256);
}

/** Why a model from elsewhere (`drill model manifest`) has no int8 variant. */
export const NOT_BUILT_HERE = 'only a model built by `drill model build` (its manifest has a seed) can be quantized';

/**
 * The int8 variant of an fp32 two-tower model: the same bytes as `buildModel({seed, precision: 'int8'})` for a
 * model built from that seed. A standby that serves int8 derives it from the fp32 model it syncs.
 */
export function quantizeModel(fp32: BuiltModel): BuiltModel {
  const { precision, seed } = fp32.manifest;
  if (precision !== 'fp32') throw new RangeError(`only an fp32 model can be quantized, got ${precision}`);
  if (seed === undefined) throw new RangeError(NOT_BUILT_HERE);
  return quantizeWeights(readWeights(fp32.onnx), seed, sha256Hex(fp32.onnx));
}

/** The int8 model of these fp32 weights; `sourceSha256` names the fp32 model they came from. */
export function quantizeWeights(weights: ModelWeights, seed: number, sourceSha256: string): BuiltModel {
  const user = int8Tower('user', weights.user);
  const item = int8Tower('item', weights.item);
  const int8 = encodeModel(seed, 'int8', { user: user.tower, item: item.tower });
  const manifest = manifestFor(int8, seed, 'int8', { user: user.dequantized, item: item.dequantized });
  return { onnx: int8, manifest: { ...manifest, sourceSha256 } };
}

/** The float weights of an fp32 two-tower model, read back from its initializers. */
export function readWeights(bytes: Uint8Array): ModelWeights {
  const initializers = new Map((onnx.ModelProto.decode(bytes).graph?.initializer ?? []).map((t) => [t.name, t]));
  const tensor = (name: string, rows: number, cols = 1): Float32Array => {
    const t = initializers.get(name);
    const raw = t?.rawData;
    if (!t || t.dataType !== DataType.FLOAT || !raw || raw.byteLength !== rows * cols * 4) {
      throw new Error(`not a two-tower fp32 model: initializer "${name}" is missing or is not ${rows * cols} raw float32 values`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const values = new Float32Array(rows * cols);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
    return values;
  };
  const tower = (prefix: string, vocab: number): TowerWeights => ({
    embedding: tensor(`${prefix}_embedding`, vocab, EMBEDDING_DIM),
    w1: tensor(`${prefix}_w1`, TOWER_INPUT_DIM, HIDDEN_DIM),
    b1: tensor(`${prefix}_b1`, HIDDEN_DIM),
    w2: tensor(`${prefix}_w2`, HIDDEN_DIM, OUTPUT_DIM),
    b2: tensor(`${prefix}_b2`, OUTPUT_DIM),
  });
  return { user: tower('user', USER_VOCAB), item: tower('item', ITEM_VOCAB) };
}

/** Builds the model and writes `dir/model.onnx` and `dir/manifest.json`. */
export async function writeModelDir(dir: string, opts: BuildOptions = {}): Promise<Manifest> {
  const { onnx: bytes, manifest } = buildModel(opts);
  await writeModelFiles(dir, bytes, manifest);
  return manifest;
}

function manifestFor(bytes: Uint8Array, seed: number, precision: Precision, effective: ModelWeights): Manifest {
  const sha256 = sha256Hex(bytes);
  return {
    name: MODEL_NAME,
    version: `two-tower-s${seed}-${precision === 'fp32' ? '' : `${precision}-`}${sha256.slice(0, 8)}`,
    sha256,
    bytes: bytes.byteLength,
    precision,
    seed,
    inputs: GRAPH_INPUTS,
    outputs: GRAPH_OUTPUTS,
    io: TWO_TOWER_IO,
    probes: makeProbes(effective),
  };
}

/**
 * Draws every weight from the seed. Tower order is fixed (user, then item) so the random stream, and hence the
 * bytes, depend only on the seed. Embeddings span the same range as the features so neither half of the concat
 * dominates; He-uniform for the ReLU layer and Glorot-uniform for the output layer keep activations O(1), which
 * makes dot-product scores O(1) and well spread rather than huge or collapsed.
 */
function generateWeights(seed: number): ModelWeights {
  const rng = xoroshiro128plus(seed);
  const tower = (vocab: number): TowerWeights => ({
    embedding: uniform(vocab * EMBEDDING_DIM, rng, 1),
    w1: uniform(TOWER_INPUT_DIM * HIDDEN_DIM, rng, Math.sqrt(6 / TOWER_INPUT_DIM)),
    b1: uniform(HIDDEN_DIM, rng, 0.1),
    w2: uniform(HIDDEN_DIM * OUTPUT_DIM, rng, Math.sqrt(6 / (HIDDEN_DIM + OUTPUT_DIM))),
    b2: uniform(OUTPUT_DIM, rng, 0.1),
  });
  const user = tower(USER_VOCAB);
  return { user, item: tower(ITEM_VOCAB) };
}

/** Values uniform in [-limit, limit), rounded to float32. */
function uniform(count: number, rng: RandomGenerator, limit: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (uniformFloat64(rng) * 2 - 1) * limit;
  return out;
}

interface Tower {
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
}

const towerInputs = (prefix: string) =>
  prefix === 'user' ? { ids: 'user_id', features: 'user_features' } : { ids: 'item_ids', features: 'item_features' };

/** The MLP after the embedding lookup; `w1`/`w2` name float tensors, whether initializers or dequantized. */
function mlpNodes(prefix: string): onnx.INodeProto[] {
  const p = (name: string) => `${prefix}_${name}`;
  return [
    node('Concat', [p('embedded'), towerInputs(prefix).features], [p('concat')], [intAttribute('axis', 1)]),
    node('Gemm', [p('concat'), p('w1'), p('b1')], [p('hidden_linear')]),
    node('Relu', [p('hidden_linear')], [p('hidden')]),
    node('Gemm', [p('hidden'), p('w2'), p('b2')], [p('vec')]),
  ];
}

function fp32Tower(prefix: string, w: TowerWeights): Tower {
  const p = (name: string) => `${prefix}_${name}`;
  const vocab = w.embedding.length / EMBEDDING_DIM;
  return {
    initializers: [
      floatTensor(p('embedding'), [vocab, EMBEDDING_DIM], w.embedding),
      floatTensor(p('w1'), [TOWER_INPUT_DIM, HIDDEN_DIM], w.w1),
      floatTensor(p('b1'), [HIDDEN_DIM], w.b1),
      floatTensor(p('w2'), [HIDDEN_DIM, OUTPUT_DIM], w.w2),
      floatTensor(p('b2'), [OUTPUT_DIM], w.b2),
    ],
    nodes: [node('Gather', [p('embedding'), towerInputs(prefix).ids], [p('embedded')], [intAttribute('axis', 0)]), ...mlpNodes(prefix)],
  };
}

/** The int8 tower, and the float weights its graph effectively computes with (for the probe set). */
function int8Tower(prefix: string, w: TowerWeights): { tower: Tower; dequantized: TowerWeights } {
  const p = (name: string) => `${prefix}_${name}`;
  const vocab = w.embedding.length / EMBEDDING_DIM;
  const embeddingDims = [vocab, EMBEDDING_DIM] as const;
  const w1Dims = [TOWER_INPUT_DIM, HIDDEN_DIM] as const;
  const w2Dims = [HIDDEN_DIM, OUTPUT_DIM] as const;
  const embedding = quantizePerAxis(w.embedding, embeddingDims, 0);
  const w1 = quantizePerAxis(w.w1, w1Dims, 1);
  const w2 = quantizePerAxis(w.w2, w2Dims, 1);
  // axis: the one scale per looked-up row (embeddings), or per output column (Gemm weights).
  const dequantizeNode = (input: string, scale: string, output: string, axis: 0 | 1) =>
    node('DequantizeLinear', [input, scale], [output], [intAttribute('axis', axis)]);
  const ids = towerInputs(prefix).ids;
  const tower: Tower = {
    initializers: [
      int8Tensor(p('embedding_quantized'), embeddingDims, embedding.values),
      floatTensor(p('embedding_scale'), [vocab], embedding.scales),
      int8Tensor(p('w1_quantized'), w1Dims, w1.values),
      floatTensor(p('w1_scale'), [HIDDEN_DIM], w1.scales),
      floatTensor(p('b1'), [HIDDEN_DIM], w.b1),
      int8Tensor(p('w2_quantized'), w2Dims, w2.values),
      floatTensor(p('w2_scale'), [OUTPUT_DIM], w2.scales),
      floatTensor(p('b2'), [OUTPUT_DIM], w.b2),
    ],
    nodes: [
      node('Gather', [p('embedding_quantized'), ids], [p('embedded_quantized')], [intAttribute('axis', 0)]),
      node('Gather', [p('embedding_scale'), ids], [p('embedded_scale')], [intAttribute('axis', 0)]),
      dequantizeNode(p('embedded_quantized'), p('embedded_scale'), p('embedded'), 0),
      dequantizeNode(p('w1_quantized'), p('w1_scale'), p('w1'), 1),
      dequantizeNode(p('w2_quantized'), p('w2_scale'), p('w2'), 1),
      ...mlpNodes(prefix),
    ],
  };
  const dequantized: TowerWeights = {
    embedding: dequantize(embedding, embeddingDims),
    w1: dequantize(w1, w1Dims),
    b1: w.b1,
    w2: dequantize(w2, w2Dims),
    b2: w.b2,
  };
  return { tower, dequantized };
}

function encodeModel(seed: number, precision: Precision, towers: { user: Tower; item: Tower }): Uint8Array {
  const { user, item } = towers;
  const graph: onnx.IGraphProto = {
    name: 'two_tower_ranker',
    node: [
      ...user.nodes,
      ...item.nodes,
      node('Gemm', ['item_vec', 'user_vec'], ['score_column'], [intAttribute('transB', 1)]),
      node('Reshape', ['score_column', 'flat_shape'], ['scores']),
    ],
    initializer: [...user.initializers, ...item.initializers, int64Tensor('flat_shape', [-1])],
    input: GRAPH_INPUTS.map(valueInfo),
    output: GRAPH_OUTPUTS.map(valueInfo),
  };
  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'failover-drill',
    domain: 'failover-drill',
    modelVersion: 1,
    docString: `two-tower ranking model generated from seed ${seed}${precision === 'fp32' ? '' : `, ${precision} weights`}`,
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  }).finish();
}

function node(opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto {
  return { name: output[0], opType, input, output, attribute };
}

function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

function valueInfo({ name, type, shape }: TensorSpec): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: type === 'int64' ? DataType.INT64 : DataType.FLOAT, shape: { dim } } } };
}

/** A float tensor stored as little-endian raw bytes (ONNX's raw_data byte order, whatever the host's). */
function floatTensor(name: string, dims: readonly number[], values: Float32Array): onnx.ITensorProto {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw };
}

function int8Tensor(name: string, dims: readonly number[], values: Int8Array): onnx.ITensorProto {
  return { name, dims: [...dims], dataType: DataType.INT8, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function int64Tensor(name: string, values: number[]): onnx.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: DataType.INT64, rawData: raw };
}
