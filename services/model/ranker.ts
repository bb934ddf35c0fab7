// In-process scoring with onnxruntime-node: what the inference service serves and the harness's reference.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { FEATURE_DIM, type RankRequest } from '../common/contract';

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

export class Ranker {
  private constructor(private readonly session: InferenceSession) {}

  /** Loads a model from a file path or from its bytes; a model that does not parse rejects. */
  static async load(model: string | Uint8Array): Promise<Ranker> {
    const session =
      typeof model === 'string'
        ? await InferenceSession.create(model, SESSION_OPTIONS)
        : await InferenceSession.create(model, SESSION_OPTIONS);
    return new Ranker(session);
  }

  /** Scores each candidate for the user. The request must already be valid (ids in range, 16 features each). */
  async score(req: RankRequest): Promise<Float32Array> {
    const n = req.candidates.length;
    const itemIds = new BigInt64Array(n);
    const itemFeatures = new Float32Array(n * FEATURE_DIM);
    req.candidates.forEach((c, i) => {
      itemIds[i] = BigInt(c.itemId);
      itemFeatures.set(c.features, i * FEATURE_DIM);
    });
    const outputs = await this.session.run({
      user_id: new Tensor('int64', BigInt64Array.of(BigInt(req.userId)), [1]),
      user_features: new Tensor('float32', Float32Array.from(req.userFeatures), [1, FEATURE_DIM]),
      item_ids: new Tensor('int64', itemIds, [n]),
      item_features: new Tensor('float32', itemFeatures, [n, FEATURE_DIM]),
    });
    const scores = outputs['scores'];
    if (scores?.type !== 'float32') throw new Error('the model produced no float32 "scores" output');
    return scores.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
