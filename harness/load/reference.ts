// Reference answers, computed in-process with onnxruntime-node on the same model files the replicas serve.
// A 2xx whose scores differ from the reference of the model version it claims is a wrong answer.
import type { Precision, RankResponse } from '../../services/common/contract';
import type { RequestRecord } from '../measure/records';

/** Absolute tolerance per precision, on top of a relative 1e-5 (float32 noise across processes). */
export const TOLERANCE: Record<Precision, number> = { fp32: 1e-5, int8: 1e-5 };

export interface ReferenceModel {
  sha256: string;
  precision: Precision;
  /** scores[i] answers requests[i] of the request set. */
  scores: Float32Array[];
}

/**
 * Judges one answer to request `request` of the request set. It carries the reference scores it judges against:
 * a function cannot cross to the load generator's worker thread, so the worker makes the same judge from them.
 */
export interface Judge {
  (request: number, body: string): Pick<RequestRecord, 'maxAbsDelta' | 'wrong'>;
  readonly references: readonly ReferenceModel[];
}

export function maxAbsDelta(actual: readonly number[], expected: Float32Array): number {
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

export function makeJudge(references: readonly ReferenceModel[]): Judge {
  const bySha = new Map(references.map((r) => [r.sha256, r]));
  const judge = (request: number, body: string): ReturnType<Judge> => {
    let answer: RankResponse;
    try {
      answer = JSON.parse(body) as RankResponse;
    } catch {
      return { maxAbsDelta: Infinity, wrong: true };
    }
    const reference = bySha.get(answer?.model?.sha256);
    const expected = reference?.scores[request];
    if (!reference || !expected || !Array.isArray(answer.scores)) return { maxAbsDelta: Infinity, wrong: true };
    const delta = maxAbsDelta(answer.scores, expected);
    const limit = TOLERANCE[reference.precision];
    const worst = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    return { maxAbsDelta: delta, wrong: !(delta <= limit + 1e-5 * worst) };
  };
  return Object.assign(judge, { references });
}

