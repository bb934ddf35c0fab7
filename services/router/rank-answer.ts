import type { FailureKind } from './replica-state';

export interface AnswerProblem {
  kind: Extract<FailureKind, 'invalid_body' | 'wrong_model'>;
  message: string;
}

/**
 * Why a 2xx rank body must not be passed on, or null when it is usable. A replica that answers 200 with
 * garbage, or with scores from a model nobody verified, is as broken as one that answers 500, but a client
 * would take its word: the gateway checks the shape and the claimed model.
 */
export function problemWithRankAnswer(
  body: Buffer,
  candidateCount: number | undefined,
  problemWithModel: (sha256: string) => string | null,
): AnswerProblem | null {
  const invalid = (message: string): AnswerProblem => ({ kind: 'invalid_body', message });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return invalid(body.length === 0 ? 'the 2xx answer has an empty body' : 'the 2xx answer is not valid JSON');
  }
  const answer = parsed as { scores?: unknown; model?: { sha256?: unknown } } | null;
  const scores = answer?.scores;
  if (!Array.isArray(scores)) return invalid('the 2xx answer has no scores array');
  if (candidateCount !== undefined && scores.length !== candidateCount) {
    return invalid(`the 2xx answer has ${scores.length} scores for ${candidateCount} candidates`);
  }
  const bad = scores.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s));
  if (bad !== -1) return invalid(`the 2xx answer has a score that is not a finite number at index ${bad}`);
  const sha256 = answer?.model?.sha256;
  if (typeof sha256 !== 'string') return { kind: 'wrong_model', message: 'the 2xx answer names no model sha256' };
  const problem = problemWithModel(sha256);
  return problem ? { kind: 'wrong_model', message: `the 2xx answer claims ${problem}` } : null;
}

/** Number of candidates in a rank request, when the request has that shape (replicas judge the rest). */
export function candidateCountOf(request: unknown): number | undefined {
  const candidates = (request as { candidates?: unknown } | null)?.candidates;
  return Array.isArray(candidates) ? candidates.length : undefined;
}

/** The model sha256 a GET /readyz body reports, if any. */
export function readySha256Of(body: string): string | undefined {
  try {
    const sha256 = (JSON.parse(body) as { model?: { sha256?: unknown } } | null)?.model?.sha256;
    return typeof sha256 === 'string' ? sha256 : undefined;
  } catch {
    return undefined;
  }
}
