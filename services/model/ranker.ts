// In-process scoring with onnxruntime-node: what the inference service serves and the harness's reference.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { FEATURE_DIM, type RankRequest } from '../common/contract';
import { type InputRole, type ModelIo, TWO_TOWER_IO } from './manifest';

// One thread per session: replicas share two cores with the harness, and a single 1x100 request is too
// small for intra-op parallelism to pay for its synchronisation.
const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // Keeps int8 models weight-only: otherwise the optimizer fuses DequantizeLinear ► Gemm into a kernel that also
  // quantizes the activations, which moves scores by ~0.04 and away from what the model file describes.
  extra: { session: { disable_quant_qdq: '1' } },
};

/** A model file path or its bytes. */
type ModelSource = string | Uint8Array;

export function createSession(model: ModelSource): Promise<InferenceSession> {
  return typeof model === 'string' ? InferenceSession.create(model, SESSION_OPTIONS) : InferenceSession.create(model, SESSION_OPTIONS);
}

/**
 * A rank request as the model's input tensors hold it: what the inference service's request parser writes
 * straight from the request bytes, and what packRankRequest makes of a request object.
 */
export interface RankInput {
  candidates: number;
  userId: BigInt64Array;
  userFeatures: Float32Array;
  itemIds: BigInt64Array;
  /** FEATURE_DIM values per candidate, row by row. */
  itemFeatures: Float32Array;
}

export function packRankRequest(req: RankRequest): RankInput {
  const itemFeatures = new Float32Array(req.candidates.length * FEATURE_DIM);
  req.candidates.forEach((c, i) => itemFeatures.set(c.features, i * FEATURE_DIM));
  return {
    candidates: req.candidates.length,
    userId: BigInt64Array.of(BigInt(req.userId)),
    userFeatures: Float32Array.from(req.userFeatures),
    itemIds: BigInt64Array.from(req.candidates, (c) => BigInt(c.itemId)),
    itemFeatures,
  };
}

interface RoleTensor {
  type: 'int64' | 'float32';
  /** Values per user (user fields) or per candidate (item fields). */
  width: number;
  perCandidate: boolean;
}

/** What each request field becomes: the tensor type, and how many values it holds. */
export const ROLE_TENSORS = {
  userId: { type: 'int64', width: 1, perCandidate: false },
  userFeatures: { type: 'float32', width: FEATURE_DIM, perCandidate: false },
  itemIds: { type: 'int64', width: 1, perCandidate: true },
  itemFeatures: { type: 'float32', width: FEATURE_DIM, perCandidate: true },
} satisfies Record<InputRole, RoleTensor>;

type Shape = readonly (number | string)[];
/** A symbolic dimension ("N", "batch"), or one the model leaves unknown (""). */
const isSymbolic = (d: number | string): d is string => typeof d === 'string';
export const formatShape = (shape: Shape): string => `[${shape.map((d) => (d === '' ? '?' : d)).join(',')}]`;

/**
 * The tensor dims for `n` candidates of a value with this declared shape, or why the shape cannot hold it:
 * per-candidate values have exactly one symbolic dimension (the candidates) and `width` values for each;
 * per-user values have `width` values in all, any symbolic (batch) dimension being 1.
 */
function dimsFor(shape: Shape, width: number, perCandidate: boolean): ((n: number) => number[]) | string {
  const symbolic = shape.filter(isSymbolic).length;
  const fixed = shape.reduce<number>((product, d) => (isSymbolic(d) ? product : product * d), 1);
  if (perCandidate && symbolic !== 1) return `needs exactly one symbolic (candidate) dimension, and ${formatShape(shape)} has ${symbolic}`;
  if (fixed !== width) return `needs ${width} value(s) per ${perCandidate ? 'candidate' : 'user'}, and ${formatShape(shape)} holds ${fixed}`;
  return (n) => shape.map((d) => (isSymbolic(d) ? (perCandidate ? n : 1) : d));
}

interface Feed {
  name: string;
  role: InputRole;
  dims: (n: number) => number[];
}

function metadataOf(list: readonly InferenceSession.ValueMetadata[], name: string): InferenceSession.TensorValueMetadata | undefined {
  const found = list.find((m) => m.name === name);
  return found?.isTensor ? found : undefined;
}

/** Checks that `io` maps every model input and names a scores output the model has; throws a sentence saying what does not fit. */
function feedsFor(session: InferenceSession, io: ModelIo): Feed[] {
  const roles = Object.entries(io.inputs) as [InputRole, string][];
  const twice = roles.find(([, name], i) => roles.findIndex(([, other]) => other === name) !== i);
  if (twice) throw new Error(`input "${twice[1]}" is mapped to more than one request field`);
  const unmapped = session.inputNames.filter((name) => !roles.some(([, mapped]) => mapped === name));
  if (unmapped.length > 0) throw new Error(`model input(s) ${unmapped.map((n) => `"${n}"`).join(', ')} carry no request field`);
  const feeds = roles.map(([role, name]): Feed => {
    const meta = metadataOf(session.inputMetadata, name);
    if (!meta) throw new Error(`${role} is mapped to "${name}", which is not a tensor input of the model`);
    const { type, width, perCandidate } = ROLE_TENSORS[role];
    if (meta.type !== type) throw new Error(`${role} needs ${type} values, and input "${name}" is ${meta.type}`);
    const dims = dimsFor(meta.shape, width, perCandidate);
    if (typeof dims === 'string') throw new Error(`${role} cannot go into "${name}": it ${dims}`);
    return { name, role, dims };
  });
  const scores = metadataOf(session.outputMetadata, io.scores);
  if (!scores) throw new Error(`scores are mapped to "${io.scores}", which is not a tensor output of the model`);
  const shape = scores.type === 'float32' ? dimsFor(scores.shape, 1, true) : `is ${scores.type}, not float32`;
  if (typeof shape === 'string') throw new Error(`output "${io.scores}" cannot hold one score per candidate: it ${shape}`);
  return feeds;
}

export class Ranker {
  private readonly feeds: Feed[];

  /** Binds a session to the request fields; throws when `io` does not fit the model's inputs and outputs. */
  constructor(
    private readonly session: InferenceSession,
    private readonly io: ModelIo,
  ) {
    this.feeds = feedsFor(session, io);
  }

  /**
   * Loads a model from a file path or from its bytes, mapped by its manifest's `io` (the two-tower model's
   * mapping by default). A model that does not parse, or does not fit `io`, rejects.
   */
  static async load(model: ModelSource, io: ModelIo = TWO_TOWER_IO): Promise<Ranker> {
    const session = await createSession(model);
    try {
      return new Ranker(session, io);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  /** Scores each candidate for the user. The request must already be valid (ids in range, 16 features each). */
  score(req: RankRequest): Promise<Float32Array> {
    return this.scoreInput(packRankRequest(req));
  }

  /** score() for a request already in tensor form. */
  async scoreInput(input: RankInput): Promise<Float32Array> {
    const n = input.candidates;
    const inputs: Record<string, Tensor> = {};
    for (const { name, role, dims } of this.feeds) inputs[name] = new Tensor(ROLE_TENSORS[role].type, input[role], dims(n));
    const scores = (await this.session.run(inputs, [this.io.scores]))[this.io.scores];
    if (scores?.type !== 'float32' || scores.data.length !== n) {
      throw new Error(`output "${this.io.scores}" gave ${scores?.data.length ?? 'no'} ${scores?.type ?? ''} values for ${n} candidates, not one float32 score each`);
    }
    return scores.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
