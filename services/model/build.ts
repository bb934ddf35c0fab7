// Builds the two-tower ranking model as ONNX from code, deterministically from a seed.
//
//   user_id ─► Gather(user_embedding) ─┐
//   user_features ─────────────────────┴► Concat ► Gemm 80→64 ► Relu ► Gemm 64→32 ► user_vec [1,32]
//   item_ids ─► Gather(item_embedding) ─┐
//   item_features ──────────────────────┴► Concat ► Gemm 80→64 ► Relu ► Gemm 64→32 ► item_vec [N,32]
//   scores [N] = Reshape(Gemm(item_vec, user_vecᵀ), [-1])
import { onnx } from 'onnx-proto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { FEATURE_DIM } from '../common/contract';
import { ITEM_VOCAB, type Manifest, MODEL_NAME, sha256Hex, USER_VOCAB, writeModelFiles } from './manifest';

export const DEFAULT_SEED = 42;
export const EMBEDDING_DIM = 64;
const HIDDEN_DIM = 64;
const OUTPUT_DIM = 32;
const OPSET = 13;
// IR version 7 is the one that goes with opset 13.
const IR_VERSION = 7;

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

export interface BuildOptions {
  seed?: number;
}

export interface BuiltModel {
  onnx: Uint8Array;
  manifest: Manifest;
}

export function buildModel(opts: BuildOptions = {}): BuiltModel {
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const rng = xoroshiro128plus(seed);
  // Tower order is fixed (user, then item) so the random stream, and hence the bytes, depend only on the seed.
  const user = tower('user', 'user_id', 'user_features', USER_VOCAB, rng);
  const item = tower('item', 'item_ids', 'item_features', ITEM_VOCAB, rng);

  const graph: onnx.IGraphProto = {
    name: 'two_tower_ranker',
    node: [
      ...user.nodes,
      ...item.nodes,
      node('Gemm', [item.output, user.output], ['score_column'], [intAttribute('transB', 1)]),
      node('Reshape', ['score_column', 'flat_shape'], ['scores']),
    ],
    initializer: [...user.initializers, ...item.initializers, int64Tensor('flat_shape', [-1])],
    input: [
      valueInfo('user_id', DataType.INT64, [1]),
      valueInfo('user_features', DataType.FLOAT, [1, FEATURE_DIM]),
      valueInfo('item_ids', DataType.INT64, ['N']),
      valueInfo('item_features', DataType.FLOAT, ['N', FEATURE_DIM]),
    ],
    output: [valueInfo('scores', DataType.FLOAT, ['N'])],
  };
  const bytes = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'failover-drill',
    domain: 'failover-drill',
    modelVersion: 1,
    docString: `two-tower ranking model generated from seed ${seed}`,
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  }).finish();

  const sha256 = sha256Hex(bytes);
  const manifest: Manifest = {
    name: MODEL_NAME,
    version: `two-tower-s${seed}-${sha256.slice(0, 8)}`,
    sha256,
    bytes: bytes.byteLength,
    precision: 'fp32',
    seed,
    inputs: [
      { name: 'user_id', type: 'int64', shape: [1] },
      { name: 'user_features', type: 'float32', shape: [1, FEATURE_DIM] },
      { name: 'item_ids', type: 'int64', shape: ['N'] },
      { name: 'item_features', type: 'float32', shape: ['N', FEATURE_DIM] },
    ],
    outputs: [{ name: 'scores', type: 'float32', shape: ['N'] }],
  };
  return { onnx: bytes, manifest };
}

/** Builds the model and writes `dir/model.onnx` and `dir/manifest.json`. */
export async function writeModelDir(dir: string, opts: BuildOptions = {}): Promise<Manifest> {
  const { onnx: bytes, manifest } = buildModel(opts);
  await writeModelFiles(dir, bytes, manifest);
  return manifest;
}

interface Tower {
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
  output: string;
}

/** One tower: embedding lookup, concat with dense features, a two-layer MLP. */
function tower(prefix: string, idInput: string, featureInput: string, vocab: number, rng: RandomGenerator): Tower {
  const p = (name: string) => `${prefix}_${name}`;
  const inputDim = EMBEDDING_DIM + FEATURE_DIM;
  // Embeddings span the same range as the features so neither half of the concat dominates; He-uniform
  // for the ReLU layer and Glorot-uniform for the output layer keep activations O(1), which makes
  // dot-product scores O(1) and well spread rather than huge or collapsed.
  const initializers = [
    floatTensor(p('embedding'), [vocab, EMBEDDING_DIM], rng, 1),
    floatTensor(p('w1'), [inputDim, HIDDEN_DIM], rng, Math.sqrt(6 / inputDim)),
    floatTensor(p('b1'), [HIDDEN_DIM], rng, 0.1),
    floatTensor(p('w2'), [HIDDEN_DIM, OUTPUT_DIM], rng, Math.sqrt(6 / (HIDDEN_DIM + OUTPUT_DIM))),
    floatTensor(p('b2'), [OUTPUT_DIM], rng, 0.1),
  ];
  const nodes = [
    node('Gather', [p('embedding'), idInput], [p('embedded')], [intAttribute('axis', 0)]),
    node('Concat', [p('embedded'), featureInput], [p('concat')], [intAttribute('axis', 1)]),
    node('Gemm', [p('concat'), p('w1'), p('b1')], [p('hidden_linear')]),
    node('Relu', [p('hidden_linear')], [p('hidden')]),
    node('Gemm', [p('hidden'), p('w2'), p('b2')], [p('vec')]),
  ];
  return { nodes, initializers, output: p('vec') };
}

function node(opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto {
  return { name: output[0], opType, input, output, attribute };
}

function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

function valueInfo(name: string, elemType: onnx.TensorProto.DataType, shape: (number | string)[]): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** A float tensor of values uniform in [-limit, limit), stored as little-endian raw bytes. */
function floatTensor(name: string, dims: number[], rng: RandomGenerator, limit: number): onnx.ITensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = new Uint8Array(count * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) view.setFloat32(i * 4, (uniformFloat64(rng) * 2 - 1) * limit, true);
  return { name, dims, dataType: DataType.FLOAT, rawData: raw };
}

function int64Tensor(name: string, values: number[]): onnx.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: DataType.INT64, rawData: raw };
}
