import { V2_SHA256_PARAMETER } from '../common/contract';
import { decodeInferResponse } from '../inference/oip-v2-response';
import { JSON_OK, scanJson } from './json-scan';
import type { FailureKind } from './replica-state';

export interface AnswerProblem {
  kind: Extract<FailureKind, 'invalid_body' | 'wrong_model'>;
  message: string;
}

/**
 * Why a 2xx rank body must not be passed on, or null when it is usable. A replica that answers 200 with
 * garbage, or with scores from a model nobody verified, is as broken as one that answers 500, but a client
 * would take its word: the gateway checks the shape and the claimed model.
 *
 * The body is read with a scan that builds nothing (see json-scan.ts); when the scan finds it is not JSON or
 * cannot be sure, JSON.parse judges (problemWithParsedRankAnswer), with the same verdicts and messages.
 */
export function problemWithRankAnswer(
  body: Buffer,
  candidateCount: number | undefined,
  problemWithModel: (sha256: string) => string | null,
): AnswerProblem | null {
  const scanned = scanJson(body);
  if (scanned.verdict !== JSON_OK) return problemWithParsedRankAnswer(body, candidateCount, problemWithModel);
  return problemWithFacts(scanned.scores === -1 ? undefined : scanned.scores, scanned.firstBadScore, scanned.sha256, candidateCount, problemWithModel);
}

/** problemWithRankAnswer by JSON.parse: the reference the scan is held to, and its fallback. */
export function problemWithParsedRankAnswer(
  body: Buffer,
  candidateCount: number | undefined,
  problemWithModel: (sha256: string) => string | null,
): AnswerProblem | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return invalid(body.length === 0 ? 'the 2xx answer has an empty body' : 'the 2xx answer is not valid JSON');
  }
  const answer = parsed as { scores?: unknown; model?: { sha256?: unknown } } | null;
  const scores = answer?.scores;
  let firstBad = -1;
  if (Array.isArray(scores)) {
    for (let i = 0; i < scores.length && firstBad === -1; i += 1) {
      const score: unknown = scores[i];
      if (typeof score !== 'number' || !Number.isFinite(score)) firstBad = i;
    }
  }
  const sha256 = answer?.model?.sha256;
  return problemWithFacts(Array.isArray(scores) ? scores.length : undefined, firstBad, typeof sha256 === 'string' ? sha256 : undefined, candidateCount, problemWithModel);
}

function problemWithFacts(
  scores: number | undefined,
  firstBadScore: number,
  sha256: string | undefined,
  candidateCount: number | undefined,
  problemWithModel: (sha256: string) => string | null,
): AnswerProblem | null {
  if (scores === undefined) return invalid('the 2xx answer has no scores array');
  if (candidateCount !== undefined && scores !== candidateCount) {
    return invalid(`the 2xx answer has ${scores} scores for ${candidateCount} candidates`);
  }
  if (firstBadScore !== -1) return invalid(`the 2xx answer has a score that is not a finite number at index ${firstBadScore}`);
  if (sha256 === undefined) return { kind: 'wrong_model', message: 'the 2xx answer names no model sha256' };
  const problem = problemWithModel(sha256);
  return problem ? { kind: 'wrong_model', message: `the 2xx answer claims ${problem}` } : null;
}

/**
 * Why a 2xx v2 infer answer must not be passed on, or null: it must decode (JSON part, binary outputs that add
 * up to the body), come from the model the path named, give every output one finite value per candidate, and
 * name an allowed model sha256 in its `model_sha256` parameter. Read with the harness's own decoder.
 */
export function problemWithInferAnswer(
  body: Buffer,
  headerLength: string | undefined,
  expected: { model: string; candidateCount: number | undefined },
  problemWithModel: (sha256: string) => string | null,
): AnswerProblem | null {
  let decoded: ReturnType<typeof decodeInferResponse>;
  try {
    decoded = decodeInferResponse(body, headerLength);
  } catch (e) {
    return invalid(`the 2xx infer answer cannot be read: ${(e as Error).message}`);
  }
  const { response, outputs } = decoded;
  if (response.model_name !== expected.model) {
    return { kind: 'wrong_model', message: `the 2xx infer answer comes from model ${JSON.stringify(response.model_name)}, not ${JSON.stringify(expected.model)}` };
  }
  const names = Object.keys(outputs);
  if (names.length === 0) return invalid('the 2xx infer answer has no outputs');
  for (const name of names) {
    const values = outputs[name]!;
    if (expected.candidateCount !== undefined && values.length !== expected.candidateCount) {
      return invalid(`the 2xx infer answer's output "${name}" has ${values.length} values for ${expected.candidateCount} candidates`);
    }
    for (let i = 0; i < values.length; i += 1) {
      const value: unknown = values[i];
      if (typeof value !== 'number' || !Number.isFinite(value)) return invalid(`the 2xx infer answer's output "${name}" has a value that is not a finite number at index ${i}`);
    }
  }
  const sha256 = response.parameters?.[V2_SHA256_PARAMETER];
  if (typeof sha256 !== 'string') return { kind: 'wrong_model', message: `the 2xx infer answer names no model sha256 (parameters.${V2_SHA256_PARAMETER})` };
  const problem = problemWithModel(sha256);
  return problem ? { kind: 'wrong_model', message: `the 2xx infer answer claims ${problem}` } : null;
}

function invalid(message: string): AnswerProblem {
  return { kind: 'invalid_body', message };
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
