// How the Open Inference Protocol sees a model: one tensor per model input the manifest maps (named as in the
// model, shaped as it declares), plus the scores and the ranking the server computes from them.
import { MAX_CANDIDATES, type V2Datatype, V2_PRECISION_PARAMETER, V2_RANKING_OUTPUT, V2_SHA256_PARAMETER, type V2ModelMetadata, type V2TensorMetadata } from '../common/contract';
import type { InputRole, Manifest, TensorSpec } from '../model/manifest';
import { ROLE_TENSORS } from '../model/ranker';

/** A model input as a request tensor: its role in a rank request and the shapes it takes. */
export interface InputTensor {
  name: string;
  role: InputRole;
  datatype: 'FP32' | 'INT64';
  /** The model's declared shape; a string is the candidate dimension (per-candidate roles) or a batch of 1. */
  declared: TensorSpec['shape'];
  /** Values per user or per candidate. */
  width: number;
  perCandidate: boolean;
  /** Rows of the embedding table an id indexes: valid ids are 0..vocab-1. */
  vocab: number | undefined;
}

export interface ModelTensors {
  inputs: InputTensor[];
  /** The model's scores output, by its name in the model. */
  scores: string;
  metadata: V2ModelMetadata;
}

const DATATYPES = { float32: 'FP32', int64: 'INT64' } as const satisfies Record<TensorSpec['type'], V2Datatype>;

const DESCRIPTIONS: Record<InputRole, string> = {
  userId: 'the user id: one int64, 0..vocab-1',
  userFeatures: 'the user features: float32, finite',
  itemIds: 'one int64 item id per candidate, 0..vocab-1',
  itemFeatures: 'float32 features per candidate, row by row, finite',
};

/** The shape a request gives for `n` candidates: the candidate dimension is n, a batch dimension 1. */
export function shapeFor(input: InputTensor, n: number): number[] {
  return input.declared.map((d) => (typeof d === 'string' ? (input.perCandidate ? n : 1) : d));
}

const cache = new WeakMap<Manifest, ModelTensors>();

/** The model's tensors as its manifest maps them (computed once per manifest). */
export function modelTensors(manifest: Manifest): ModelTensors {
  let tensors = cache.get(manifest);
  if (!tensors) cache.set(manifest, (tensors = describeModel(manifest)));
  return tensors;
}

function describeModel(manifest: Manifest): ModelTensors {
  const { io } = manifest;
  const inputs = (Object.entries(io.inputs) as [InputRole, string][]).map(([role, name]): InputTensor => {
    const { type, width, perCandidate } = ROLE_TENSORS[role];
    const declared = manifest.inputs.find((spec) => spec.name === name)?.shape ?? (perCandidate ? ['N', width] : [width]);
    return { name, role, datatype: DATATYPES[type], declared, width, perCandidate, vocab: io.vocab[role as keyof typeof io.vocab] };
  });
  const tensor = (input: InputTensor): V2TensorMetadata => ({
    name: input.name,
    datatype: input.datatype,
    shape: shapeFor(input, -1),
    parameters: { role: input.role, description: DESCRIPTIONS[input.role], ...(input.vocab ? { vocab: input.vocab } : {}) },
  });
  const perCandidate = (description: string) => ({ role: 'output', description: `${description}; -1 is the number of candidates, 1..${MAX_CANDIDATES}` });
  const metadata: V2ModelMetadata = {
    name: manifest.name,
    versions: [manifest.version],
    platform: 'onnxruntime_onnx',
    inputs: inputs.map(tensor),
    outputs: [
      { name: io.scores, datatype: 'FP32', shape: [-1], parameters: perCandidate('one score per candidate, in request order') },
      { name: V2_RANKING_OUTPUT, datatype: 'INT32', shape: [-1], parameters: perCandidate('candidate indexes, best score first, ties by index') },
    ],
    parameters: { [V2_SHA256_PARAMETER]: manifest.sha256, [V2_PRECISION_PARAMETER]: manifest.precision },
  };
  return { inputs, scores: io.scores, metadata };
}
