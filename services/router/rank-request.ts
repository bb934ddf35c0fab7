import { INFERENCE_HEADER_CONTENT_LENGTH } from '../common/contract';
import { HttpError, parseJson } from '../common/http';
import { splitBody } from '../inference/oip-binary';
import { JSON_OK, scanJson } from './json-scan';
import { type AnswerProblem, candidateCountOf, problemWithInferAnswer, problemWithRankAnswer } from './rank-answer';

/**
 * One client request as the gateway forwards it to a replica, in either protocol: the replica's path, the request
 * headers it gets, the body, and how a 2xx answer to it is judged before it is passed on. Failover, hedging and
 * breakers treat every call alike.
 */
export interface RankCall {
  path: string;
  /** Request headers for the replica, as undici's flat name/value list. */
  headers: string[];
  payload: Buffer;
  /** Why a 2xx answer must not be passed on, or null; `headerLength` is its Inference-Header-Content-Length. */
  problemWith(body: Buffer, headerLength: string | undefined, problemWithModel: (sha256: string) => string | null): AnswerProblem | null;
}

const RANK_HEADERS = ['content-type', 'application/json'];

/**
 * Judges a rank request body the way the replicas would judge its syntax, before it is forwarded: a body that
 * is not JSON is refused here with the service's own 400 invalid_json (thrown as an HttpError), so it never
 * reaches a replica. Returns the number of candidates when the body has a top-level `candidates` array (to
 * check the answer's scores against), else undefined.
 *
 * Checks the syntax with a scan that builds nothing (see json-scan.ts); anything the scan refuses or is unsure
 * about goes to JSON.parse, whose verdict and error message stand.
 */
export function candidateCountOfRequest(body: Buffer): number | undefined {
  const scanned = scanJson(body);
  if (scanned.verdict === JSON_OK) return scanned.candidates === -1 ? undefined : scanned.candidates;
  return candidateCountOf(parseJson(body));
}

/** POST /v1/rank. */
export function v1RankCall(payload: Buffer): RankCall {
  const candidateCount = candidateCountOfRequest(payload);
  return {
    path: '/v1/rank',
    headers: RANK_HEADERS,
    payload,
    problemWith: (body, _headerLength, problemWithModel) => problemWithRankAnswer(body, candidateCount, problemWithModel),
  };
}

/** The model a v2 infer path names: /v2/models/{name}[/versions/{version}]/infer. */
export const V2_INFER_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/infer$/;

/**
 * POST /v2/models/{name}[/versions/{version}]/infer, forwarded to the same path. The JSON part must parse (a 400
 * in the protocol's shape otherwise, as a replica would answer); binary tensors after it are forwarded unread.
 * The number of candidates is the largest leading dimension of the inputs: a ranking model's inputs are per user
 * (leading dimension 1) or per candidate, and each of its outputs has one value per candidate.
 */
export function v2InferCall(path: string, payload: Buffer, headers: { contentType?: string; headerLength?: string }): RankCall {
  const model = decodedName(V2_INFER_PATH.exec(path)?.[1] ?? '');
  const { json } = splitBody(payload, headers.headerLength);
  const request = parseJson(json) as { inputs?: unknown } | null;
  if (!Array.isArray(request?.inputs)) throw new HttpError(400, 'invalid_request', 'the infer request has no inputs array');
  let candidateCount: number | undefined;
  for (const input of request.inputs as { shape?: unknown }[]) {
    const first = Array.isArray(input?.shape) ? input.shape[0] : undefined;
    if (typeof first === 'number' && Number.isInteger(first) && first > (candidateCount ?? -1)) candidateCount = first;
  }
  return {
    path,
    headers: [
      'content-type', headers.contentType ?? 'application/json',
      ...(headers.headerLength === undefined ? [] : [INFERENCE_HEADER_CONTENT_LENGTH, headers.headerLength]),
    ],
    payload,
    problemWith: (body, headerLength, problemWithModel) => problemWithInferAnswer(body, headerLength, { model, candidateCount }, problemWithModel),
  };
}

/** A path segment's text; one that is not valid percent-encoding stays as it is (the replica answers 404 for it). */
function decodedName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
