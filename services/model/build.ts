// Builds the two-tower ranking model as ONNX from code, deterministically from a seed and a shape.
//
//   user_id ─► Gather(user_embedding) ─┐
//   user_features ─────────────────────┴► Concat ► Gemm E+16→H ► Relu ► Gemm H→O ► user_vec [1,O]
//   item_ids ─► Gather(item_embedding) ─┐
//   item_features ──────────────────────┴► Concat ► Gemm E+16→H ► Relu ► Gemm H→O ► item_vec [N,O]
//   scores [N] = Reshape(Gemm(item_vec, user_vecᵀ), [-1])          (default E=64, H=64, O=32)
//
// Two int8 variants quantize the same seeded weights (embedding tables per row, MLP weights per output column).
// Both look the tables up as Gather(int8 rows) + Gather(row scales) ► DequantizeLinear, so only the looked-up
// rows are expanded. `weight-only` then dequantizes each MLP weight and runs float Gemms (the same arithmetic
// as fp32, a quarter of the bytes); `dynamic` quantizes the activations too (DynamicQuantizeLinear ►
// MatMulInteger ► scale + bias), which onnxruntime runs as integer kernels. Biases stay float32.
//
// The model is written as it is generated (see onnx-stream.ts): weights are drawn from the seeded generator in
// file order, so the bytes depend only on seed and shape and a 1 GB model never sits in memory.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { FEATURE_DIM, type Precision } from '../common/contract';
import { type Manifest, MODEL_FILE, MODEL_NAME, type ModelIo, type Quantization, sha256Hex, type TensorSpec, TWO_TOWER_IO, writeManifestFile } from './manifest';
import { concatPieces, hashPieces, type LazyBytes, lengthDelimited, type Piece, writePieces } from './onnx-stream';
import { makeProbes, probeIds } from './probes';
import { dequantize, quantizePerAxis } from './quantize';
import type { ModelWeights, TowerWeights } from './reference';
import { isDefaultShape, type ModelShape, resolveShape } from './shape';

export const DEFAULT_SEED = 42;
export const PRECISIONS: readonly Precision[] = ['fp32', 'int8'];
export const QUANTIZATIONS: readonly Quantization[] = ['weight-only', 'dynamic'];
const OPSET = 13;
// IR version 7 is the one that goes with opset 13.
const IR_VERSION = 7;
// Embedding rows generated and written per chunk: 4096 rows of 64 floats is 1 MiB.
const CHUNK_ROWS = 4096;
// Field numbers of onnx.proto: GraphProto.initializer, TensorProto.raw_data, ModelProto.graph.
const INITIALIZER_FIELD = 5;
const RAW_DATA_FIELD = 9;
const GRAPH_FIELD = 7;

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
  /** For int8: `weight-only` (default) or `dynamic` (int8 MatMuls too). */
  quantization?: Quantization;
  /** Table and layer sizes; the default shape is the 7.7 MB model every drill uses. */
  shape?: Partial<ModelShape>;
}

export interface BuiltModel {
  onnx: Uint8Array;
  manifest: Manifest;
}

/** What a build makes: fp32, or int8 with one of the two quantizations. */
type Variant = 'fp32' | Quantization;

interface BuildPlan {
  seed: number;
  variant: Variant;
  shape: ModelShape;
}

function planBuild(opts: BuildOptions): BuildPlan {
  const seed = opts.seed ?? DEFAULT_SEED;
  const precision = opts.precision ?? 'fp32';
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!PRECISIONS.includes(precision)) throw new RangeError(`precision must be one of ${PRECISIONS.join(', ')}, got ${String(precision)}`);
  const { quantization } = opts;
  if (quantization !== undefined && !QUANTIZATIONS.includes(quantization)) {
    throw new RangeError(`quantization must be one of ${QUANTIZATIONS.join(', ')}, got ${String(quantization)}`);
  }
  if (quantization !== undefined && precision !== 'int8') throw new RangeError(`quantization ${quantization} needs precision int8, got ${precision}`);
  return { seed, variant: precision === 'fp32' ? 'fp32' : (quantization ?? 'weight-only'), shape: resolveShape(opts.shape) };
}

/** Builds the model in memory; for models of hundreds of MB use writeModelDir, which streams. */
export function buildModel(opts: BuildOptions = {}): BuiltModel {
  const plan = planBuild(opts);
  const encoding = encodeModel(plan, seededTowers(plan));
  const bytes = concatPieces(encoding.pieces);
  return { onnx: bytes, manifest: manifestFor(plan, { sha256: sha256Hex(bytes), bytes: bytes.byteLength }, encoding.probeWeights(), sourceSha256(plan)) };
}

/** Builds the model into `dir/model.onnx` and `dir/manifest.json`, generating and hashing the weights as it writes. */
export async function writeModelDir(dir: string, opts: BuildOptions = {}): Promise<Manifest> {
  const plan = planBuild(opts);
  await mkdir(dir, { recursive: true });
  const encoding = encodeModel(plan, seededTowers(plan));
  const written = writePieces(join(dir, MODEL_FILE), encoding.pieces);
  const manifest = manifestFor(plan, written, encoding.probeWeights(), sourceSha256(plan));
  await writeManifestFile(dir, manifest);
  return manifest;
}

/** For an int8 variant: the sha256 of the fp32 model of the same seed and shape (hashed, not written). */
function sourceSha256(plan: BuildPlan): string | undefined {
  if (plan.variant === 'fp32') return undefined;
  const fp32 = { ...plan, variant: 'fp32' as const };
  return hashPieces(encodeModel(fp32, seededTowers(fp32)).pieces).sha256;
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

/** The (weight-only) int8 model of these fp32 weights; `sourceSha256` names the fp32 model they came from. */
export function quantizeWeights(weights: ModelWeights, seed: number, sourceSha256: string): BuiltModel {
  const user = arrayTower(weights.user);
  const item = arrayTower(weights.item);
  const shape = { userVocab: user.vocab, itemVocab: item.vocab, embeddingDim: user.width, hiddenDim: weights.user.b1.length, outputDim: weights.user.b2.length };
  const plan: BuildPlan = { seed, variant: 'weight-only', shape };
  const encoding = encodeModel(plan, { user, item });
  const bytes = concatPieces(encoding.pieces);
  return { onnx: bytes, manifest: manifestFor(plan, { sha256: sha256Hex(bytes), bytes: bytes.byteLength }, encoding.probeWeights(), sourceSha256) };
}

/** The float weights of an fp32 two-tower model, read back from its initializers. */
export function readWeights(bytes: Uint8Array): ModelWeights {
  const initializers = new Map((onnx.ModelProto.decode(bytes).graph?.initializer ?? []).map((t) => [t.name, t]));
  const tensor = (name: string, rank: number, expected?: number): { values: Float32Array; dims: number[] } => {
    const t = initializers.get(name);
    const raw = t?.rawData;
    const dims = (t?.dims ?? []).map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    if (!t || t.dataType !== DataType.FLOAT || !raw || dims.length !== rank || raw.byteLength !== count * 4 || (expected !== undefined && dims[0] !== expected)) {
      throw new Error(`not a two-tower fp32 model: initializer "${name}" is missing or is not ${rank}-D raw float32 values${expected === undefined ? '' : ` with ${expected} rows`}`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const values = new Float32Array(count);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
    return { values, dims };
  };
  const tower = (prefix: string): TowerWeights => {
    const embedding = tensor(`${prefix}_embedding`, 2);
    const w1 = tensor(`${prefix}_w1`, 2, embedding.dims[1]! + FEATURE_DIM);
    const w2 = tensor(`${prefix}_w2`, 2, w1.dims[1]);
    return { embedding: embedding.values, w1: w1.values, b1: tensor(`${prefix}_b1`, 1, w1.dims[1]).values, w2: w2.values, b2: tensor(`${prefix}_b2`, 1, w2.dims[1]).values };
  };
  return { user: tower('user'), item: tower('item') };
}

const VERSION_LABEL: Readonly<Record<Variant, string>> = { fp32: '', 'weight-only': 'int8-', dynamic: 'int8dq-' };

function ioFor(shape: ModelShape): ModelIo {
  return isDefaultShape(shape) ? TWO_TOWER_IO : { ...TWO_TOWER_IO, vocab: { userId: shape.userVocab, itemIds: shape.itemVocab } };
}

function manifestFor(plan: BuildPlan, file: { sha256: string; bytes: number }, effective: ModelWeights, sourceSha256: string | undefined): Manifest {
  const { seed, variant, shape } = plan;
  const shapeLabel = isDefaultShape(shape) ? '' : `u${shape.userVocab}i${shape.itemVocab}e${shape.embeddingDim}h${shape.hiddenDim}o${shape.outputDim}-`;
  const io = ioFor(shape);
  return {
    name: MODEL_NAME,
    version: `two-tower-s${seed}-${shapeLabel}${VERSION_LABEL[variant]}${file.sha256.slice(0, 8)}`,
    sha256: file.sha256,
    bytes: file.bytes,
    precision: variant === 'fp32' ? 'fp32' : 'int8',
    ...(variant === 'dynamic' ? { quantization: variant } : {}),
    seed,
    inputs: GRAPH_INPUTS,
    outputs: GRAPH_OUTPUTS,
    io,
    ...(isDefaultShape(shape) ? {} : { widths: { embedding: shape.embeddingDim, hidden: shape.hiddenDim, output: shape.outputDim } }),
    probes: makeProbes(effective, io.vocab),
    ...(sourceSha256 === undefined ? {} : { sourceSha256 }),
  };
}

/**
 * One tower's fp32 weights in file order: the embedding rows (in chunks), then w1, b1, w2, b2. Each is produced
 * once and kept (the MLP weights are small); the rows are produced only while the table is written.
 */
interface TowerSource {
  vocab: number;
  /** Widths of an embedding row, the hidden layer and the output vector. */
  width: number;
  hidden: number;
  output: number;
  embeddingChunks(): Iterable<{ first: number; rows: Float32Array }>;
  w1(): Float32Array;
  b1(): Float32Array;
  w2(): Float32Array;
  b2(): Float32Array;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * Every weight drawn from the seed, in file order (user tower, then item tower), so the random stream, and hence
 * the bytes, depend only on seed and shape. Embeddings span the same range as the features so neither half of
 * the concat dominates; He-uniform for the ReLU layer and Glorot-uniform for the output layer keep activations
 * O(1), which makes dot-product scores O(1) and well spread rather than huge or collapsed.
 */
function seededTowers({ seed, shape }: BuildPlan): { user: TowerSource; item: TowerSource } {
  const rng = xoroshiro128plus(seed);
  const input = shape.embeddingDim + FEATURE_DIM;
  const { hiddenDim: hidden, outputDim: output, embeddingDim: width } = shape;
  const tower = (vocab: number): TowerSource => ({
    vocab,
    width,
    hidden,
    output,
    *embeddingChunks() {
      for (let first = 0; first < vocab; first += CHUNK_ROWS) yield { first, rows: uniform(Math.min(CHUNK_ROWS, vocab - first) * width, rng, 1) };
    },
    w1: once(() => uniform(input * hidden, rng, Math.sqrt(6 / input))),
    b1: once(() => uniform(hidden, rng, 0.1)),
    w2: once(() => uniform(hidden * output, rng, Math.sqrt(6 / (hidden + output)))),
    b2: once(() => uniform(output, rng, 0.1)),
  });
  return { user: tower(shape.userVocab), item: tower(shape.itemVocab) };
}

/** Weights already in memory (read back from an fp32 model). */
function arrayTower(w: TowerWeights): TowerSource {
  if (!(w.embedding instanceof Float32Array)) throw new RangeError('quantizing needs the whole embedding table');
  const table = w.embedding;
  const width = w.w1.length / w.b1.length - FEATURE_DIM;
  return {
    vocab: table.length / width,
    width,
    hidden: w.b1.length,
    output: w.b2.length,
    *embeddingChunks() {
      const step = CHUNK_ROWS * width;
      for (let at = 0; at < table.length; at += step) yield { first: at / width, rows: table.subarray(at, at + step) };
    },
    w1: () => w.w1,
    b1: () => w.b1,
    w2: () => w.w2,
    b2: () => w.b2,
  };
}

/** Values uniform in [-limit, limit), rounded to float32. */
function uniform(count: number, rng: RandomGenerator, limit: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (uniformFloat64(rng) * 2 - 1) * limit;
  return out;
}

interface Tower {
  nodes: onnx.INodeProto[];
  initializers: Piece[];
  /** The float weights the graph computes with (embedding: only the probe rows); valid once the initializers are written. */
  effective(): TowerWeights;
}

interface Encoding {
  pieces: Piece[];
  /** The weights the probe set is computed from; call after the pieces were written. */
  probeWeights(): ModelWeights;
}

const towerInputs = (prefix: string) =>
  prefix === 'user' ? { ids: 'user_id', features: 'user_features' } : { ids: 'item_ids', features: 'item_features' };

function encodeModel(plan: BuildPlan, sources: { user: TowerSource; item: TowerSource }): Encoding {
  const probes = probeIds(ioFor(plan.shape).vocab);
  const makeTower = (prefix: 'user' | 'item') => {
    const keep = new Set(probes[prefix]);
    return plan.variant === 'fp32' ? fp32Tower(prefix, sources[prefix], keep) : int8Tower(prefix, sources[prefix], keep, plan.variant);
  };
  const user = makeTower('user');
  const item = makeTower('item');
  const graphHead = onnx.GraphProto.encode({
    node: [
      ...user.nodes,
      ...item.nodes,
      node('Gemm', ['item_vec', 'user_vec'], ['score_column'], [intAttribute('transB', 1)]),
      node('Reshape', ['score_column', 'flat_shape'], ['scores']),
    ],
    name: 'two_tower_ranker',
  }).finish();
  const flatShape = initializer({ name: 'flat_shape', dims: [1], dataType: DataType.INT64 }, int64Bytes([-1]));
  const graphTail = onnx.GraphProto.encode({ input: GRAPH_INPUTS.map(valueInfo), output: GRAPH_OUTPUTS.map(valueInfo) }).finish();
  const modelHead = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'failover-drill',
    domain: 'failover-drill',
    modelVersion: 1,
    docString: `two-tower ranking model generated from seed ${plan.seed}${plan.variant === 'fp32' ? '' : ', int8 weights'}${plan.variant === 'dynamic' ? ' and activations' : ''}`,
  }).finish();
  const modelTail = onnx.ModelProto.encode({ opsetImport: [{ domain: '', version: OPSET }] }).finish();
  // Protobuf encoders write fields in field-number order; these slices keep that order, so the bytes are what
  // encoding the whole ModelProto at once would give.
  const graph = [graphHead, ...user.initializers, ...item.initializers, ...flatShape, graphTail];
  return {
    pieces: [modelHead, ...lengthDelimited(GRAPH_FIELD, graph), modelTail],
    probeWeights: () => ({ user: user.effective(), item: item.effective() }),
  };
}

/** An initializer: the tensor's other fields, then raw_data (field 9, the last one the encoder would write). */
function initializer(tensor: onnx.ITensorProto, raw: Piece): Piece[] {
  return lengthDelimited(INITIALIZER_FIELD, [onnx.TensorProto.encode(tensor).finish(), ...lengthDelimited(RAW_DATA_FIELD, [raw])]);
}

const lazy = (length: number, chunks: () => Iterable<Uint8Array>): LazyBytes => ({ length, chunks });

/** Float32 values as little-endian raw bytes (ONNX's raw_data byte order, whatever the host's). */
function floatBytes(values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return raw;
}

const int8Bytes = (values: Int8Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

function int64Bytes(values: number[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return raw;
}

/** A float tensor whose bytes are made when written. */
function floatInitializer(name: string, dims: readonly number[], values: () => Float32Array): Piece[] {
  return initializer({ dims: [...dims], dataType: DataType.FLOAT, name }, lazy(dims.reduce((a, b) => a * b, 1) * 4, () => [floatBytes(values())]));
}

function int8Initializer(name: string, dims: readonly number[], values: () => Int8Array): Piece[] {
  return initializer({ dims: [...dims], dataType: DataType.INT8, name }, lazy(dims.reduce((a, b) => a * b, 1), () => [int8Bytes(values())]));
}

/** Copies the rows of `chunk` whose ids are in `keep` into `kept`. */
function keepRows(kept: Map<number, Float32Array>, keep: ReadonlySet<number>, first: number, chunk: Float32Array, width: number): void {
  const rows = chunk.length / width;
  for (const id of keep) {
    if (id >= first && id < first + rows) kept.set(id, chunk.slice((id - first) * width, (id - first + 1) * width));
  }
}

/** The MLP after the embedding lookup, in float; `w1`/`w2` name float tensors, whether initializers or dequantized. */
function mlpNodes(prefix: string): onnx.INodeProto[] {
  const p = (name: string) => `${prefix}_${name}`;
  return [
    node('Concat', [p('embedded'), towerInputs(prefix).features], [p('concat')], [intAttribute('axis', 1)]),
    node('Gemm', [p('concat'), p('w1'), p('b1')], [p('hidden_linear')]),
    node('Relu', [p('hidden_linear')], [p('hidden')]),
    node('Gemm', [p('hidden'), p('w2'), p('b2')], [p('vec')]),
  ];
}

/**
 * x·W + b with x quantized per tensor at run time: the pattern onnxruntime fuses into one integer kernel
 * (DynamicQuantizeMatMul). W is int8 with one scale per output column.
 */
function dynamicMatMulNodes(prefix: string, input: string, weight: 'w1' | 'w2', output: string): onnx.INodeProto[] {
  const p = (name: string) => `${prefix}_${weight}_${name}`;
  return [
    node('DynamicQuantizeLinear', [input], [p('x_quantized'), p('x_scale'), p('x_zero_point')]),
    node('MatMulInteger', [p('x_quantized'), `${prefix}_${weight}_quantized`, p('x_zero_point')], [p('product_int32')]),
    node('Cast', [p('product_int32')], [p('product')], [intAttribute('to', DataType.FLOAT)]),
    node('Mul', [p('x_scale'), `${prefix}_${weight}_scale`], [p('product_scale')]),
    node('Mul', [p('product'), p('product_scale')], [p('scaled')]),
    node('Add', [p('scaled'), `${prefix}_${weight === 'w1' ? 'b1' : 'b2'}`], [output]),
  ];
}

function dynamicMlpNodes(prefix: string): onnx.INodeProto[] {
  const p = (name: string) => `${prefix}_${name}`;
  return [
    node('Concat', [p('embedded'), towerInputs(prefix).features], [p('concat')], [intAttribute('axis', 1)]),
    ...dynamicMatMulNodes(prefix, p('concat'), 'w1', p('hidden_linear')),
    node('Relu', [p('hidden_linear')], [p('hidden')]),
    ...dynamicMatMulNodes(prefix, p('hidden'), 'w2', p('vec')),
  ];
}

function fp32Tower(prefix: string, src: TowerSource, keep: ReadonlySet<number>): Tower {
  const p = (name: string) => `${prefix}_${name}`;
  const { vocab, width } = src;
  const kept = new Map<number, Float32Array>();
  const table = lazy(vocab * width * 4, function* () {
    for (const { first, rows } of src.embeddingChunks()) {
      keepRows(kept, keep, first, rows, width);
      yield floatBytes(rows);
    }
  });
  return {
    initializers: [
      ...initializer({ dims: [vocab, width], dataType: DataType.FLOAT, name: p('embedding') }, table),
      ...floatInitializer(p('w1'), [width + FEATURE_DIM, src.hidden], src.w1),
      ...floatInitializer(p('b1'), [src.hidden], src.b1),
      ...floatInitializer(p('w2'), [src.hidden, src.output], src.w2),
      ...floatInitializer(p('b2'), [src.output], src.b2),
    ],
    nodes: [node('Gather', [p('embedding'), towerInputs(prefix).ids], [p('embedded')], [intAttribute('axis', 0)]), ...mlpNodes(prefix)],
    effective: () => ({ embedding: kept, w1: src.w1(), b1: src.b1(), w2: src.w2(), b2: src.b2() }),
  };
}

/**
 * The int8 tower and the float weights it effectively computes with. The table's row scales are gathered while
 * its rows are written (they follow it in the file); the MLP weights are quantized whole, per output column.
 */
function int8Tower(prefix: string, src: TowerSource, keep: ReadonlySet<number>, quantization: Quantization): Tower {
  const p = (name: string) => `${prefix}_${name}`;
  const { vocab, width, hidden, output } = src;
  const input = width + FEATURE_DIM;
  const rowScales = new Float32Array(vocab);
  const kept = new Map<number, Float32Array>();
  const table = lazy(vocab * width, function* () {
    for (const { first, rows } of src.embeddingChunks()) {
      const count = rows.length / width;
      const q = quantizePerAxis(rows, [count, width], 0);
      rowScales.set(q.scales, first);
      keepRows(kept, keep, first, dequantize(q, [count, width]), width);
      yield int8Bytes(q.values);
    }
  });
  const w1 = once(() => quantizePerAxis(src.w1(), [input, hidden], 1));
  const w2 = once(() => quantizePerAxis(src.w2(), [hidden, output], 1));
  // axis: the one scale per looked-up row (embeddings), or per output column (Gemm weights).
  const dequantizeNode = (input: string, scale: string, output: string, axis: 0 | 1) =>
    node('DequantizeLinear', [input, scale], [output], [intAttribute('axis', axis)]);
  const ids = towerInputs(prefix).ids;
  const lookup = [
    node('Gather', [p('embedding_quantized'), ids], [p('embedded_quantized')], [intAttribute('axis', 0)]),
    node('Gather', [p('embedding_scale'), ids], [p('embedded_scale')], [intAttribute('axis', 0)]),
    dequantizeNode(p('embedded_quantized'), p('embedded_scale'), p('embedded'), 0),
  ];
  const weightOnly = [dequantizeNode(p('w1_quantized'), p('w1_scale'), p('w1'), 1), dequantizeNode(p('w2_quantized'), p('w2_scale'), p('w2'), 1), ...mlpNodes(prefix)];
  return {
    initializers: [
      ...initializer({ dims: [vocab, width], dataType: DataType.INT8, name: p('embedding_quantized') }, table),
      ...floatInitializer(p('embedding_scale'), [vocab], () => rowScales),
      ...int8Initializer(p('w1_quantized'), [input, hidden], () => w1().values),
      ...floatInitializer(p('w1_scale'), [hidden], () => w1().scales),
      ...floatInitializer(p('b1'), [hidden], src.b1),
      ...int8Initializer(p('w2_quantized'), [hidden, output], () => w2().values),
      ...floatInitializer(p('w2_scale'), [output], () => w2().scales),
      ...floatInitializer(p('b2'), [output], src.b2),
    ],
    nodes: [...lookup, ...(quantization === 'dynamic' ? dynamicMlpNodes(prefix) : weightOnly)],
    effective: () => ({
      embedding: kept,
      w1: dequantize(w1(), [input, hidden]),
      b1: src.b1(),
      w2: dequantize(w2(), [hidden, output]),
      b2: src.b2(),
      ...(quantization === 'dynamic' ? { dynamic: { w1: w1(), w2: w2() } } : {}),
    }),
  };
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
