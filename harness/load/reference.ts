// Reference answers, computed in-process with onnxruntime-node on the same model files the replicas serve.
// A 2xx whose scores differ from the reference of the model version it claims is a wrong answer.
import { type Precision, type RankResponse, V2_SHA256_PARAMETER } from '../../services/common/contract';
import { decodeInferResponse } from '../../services/inference/oip-v2-response';
import type { RequestRecord } from '../measure/records';
import { V1_PROTOCOL, type WireProtocol } from './protocol';

/** Absolute tolerance per precision, on top of a relative 1e-5 (float32 noise across processes). */
export const TOLERANCE: Record<Precision, number> = { fp32: 1e-5, int8: 1e-5 };

export interface ReferenceModel {
  sha256: string;
  precision: Precision;
  /** scores[i] answers requests[i] of the request set. */
  scores: Float32Array[];
}

/**
 * Judges one 2xx answer to request `request` of the request set: its body, and its Inference-Header-Content-Length
 * when binary v2 tensors follow the JSON part. It carries the reference scores it judges against and the protocol
 * it reads: a function cannot cross to the load generator's worker thread, so the worker makes the same judge.
 */
export interface Judge {
  (request: number, body: string | Uint8Array, headerLength?: string): Pick<RequestRecord, 'maxAbsDelta' | 'wrong'>;
  readonly references: readonly ReferenceModel[];
  readonly protocol: WireProtocol;
}

/** What the judge needs from an answer: the scores, and the sha256 of the model that claims them. */
interface Claim {
  scores: ArrayLike<number>;
  sha256: string | undefined;
}

/** A /v1/rank answer's claim; undefined when it has no scores array. */
function v1Claim(body: string | Uint8Array): Claim | undefined {
  const answer = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as RankResponse | null;
  if (!Array.isArray(answer?.scores)) return undefined;
  return { scores: answer.scores, sha256: answer.model?.sha256 };
}

/**
 * A v2 answer's claim, JSON or binary outputs alike; undefined when it names another model or has no scores
 * output. Its sha256 is the `model_sha256` parameter: model_version alone cannot tell flipped weights apart.
 */
function v2Claim(body: string | Uint8Array, headerLength: string | undefined, protocol: Extract<WireProtocol, { name: 'oip-v2' }>): Claim | undefined {
  const { response, outputs } = decodeInferResponse(typeof body === 'string' ? Buffer.from(body) : body, headerLength);
  const scores = outputs[protocol.io.scores];
  if (response.model_name !== protocol.model || scores === undefined) return undefined;
  const sha256 = response.parameters?.[V2_SHA256_PARAMETER];
  return { scores, sha256: typeof sha256 === 'string' ? sha256 : undefined };
}

export function maxAbsDelta(actual: ArrayLike<number>, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!Number.isFinite(a)) return Infinity;
    const d = Math.abs(a - e);
    if (d > max) max = d;
  }
  return max;
}

export function makeJudge(references: readonly ReferenceModel[], protocol: WireProtocol = V1_PROTOCOL): Judge {
  const bySha = new Map(references.map((r) => [r.sha256, r]));
  const judge = (request: number, body: string | Uint8Array, headerLength?: string): ReturnType<Judge> => {
    let claim: Claim | undefined;
    try {
      claim = protocol.name === 'v1' ? v1Claim(body) : v2Claim(body, headerLength, protocol);
    } catch {
      return { maxAbsDelta: Infinity, wrong: true };
    }
    const reference = claim?.sha256 === undefined ? undefined : bySha.get(claim.sha256);
    const expected = reference?.scores[request];
    if (!claim || !reference || !expected) return { maxAbsDelta: Infinity, wrong: true };
    const delta = maxAbsDelta(claim.scores, expected);
    const limit = TOLERANCE[reference.precision];
    const worst = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    return { maxAbsDelta: delta, wrong: !(delta <= limit + 1e-5 * worst) };
  };
  return Object.assign(judge, { references, protocol });
}

