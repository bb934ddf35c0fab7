// Request validation by hand rather than with zod: it runs on every request over up to 16,000 numbers,
// and hand checks both cost less and name the exact field (`candidates[3].features[5]`).
import { type Candidate, FEATURE_DIM, MAX_CANDIDATES, type RankRequest } from '../common/contract';
import { HttpError, parseJson } from '../common/http';
import type { ModelIo } from '../model/manifest';
import { packRankRequest, type RankInput } from '../model/ranker';
import { scanRankRequest } from './rank-request-scan';

// Larger magnitudes are finite doubles but become Infinity in the model's float32 inputs.
const FLOAT32_MAX = 3.4028234663852886e38;

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'invalid_request', `${path} ${message}`, path);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number') return String(value);
  return `a value of type ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id in 0..vocab-1; without a vocab (the model takes no such id) any id that int64 holds exactly. */
function id(value: unknown, path: string, vocab = Number.MAX_SAFE_INTEGER + 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= vocab) {
    throw invalid(path, `must be an integer id in 0..${vocab - 1}, got ${describe(value)}`);
  }
  return value;
}

function features(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) throw invalid(path, `must be an array of ${FEATURE_DIM} numbers, got ${describe(value)}`);
  if (value.length !== FEATURE_DIM) throw invalid(path, `must have ${FEATURE_DIM} numbers, got ${value.length}`);
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    if (typeof x !== 'number' || !(Math.abs(x) <= FLOAT32_MAX)) {
      throw invalid(`${path}[${i}]`, `must be a finite float32 number, got ${describe(x)}`);
    }
  }
  return value as number[];
}

/**
 * Checks a parsed JSON body against the rank contract, with ids inside the model's embedding tables (its
 * manifest's io.vocab); throws a 400 naming the first bad field.
 */
export function parseRankRequest(body: unknown, vocab: ModelIo['vocab']): RankRequest {
  if (!isObject(body)) throw new HttpError(400, 'invalid_request', `request body must be a JSON object, got ${describe(body)}`);
  const userId = id(body['userId'], 'userId', vocab.userId);
  const userFeatures = features(body['userFeatures'], 'userFeatures');
  const list = body['candidates'];
  if (!Array.isArray(list)) throw invalid('candidates', `must be an array of candidates, got ${describe(list)}`);
  if (list.length < 1 || list.length > MAX_CANDIDATES) {
    throw invalid('candidates', `must hold 1..${MAX_CANDIDATES} candidates, got ${list.length}`);
  }
  const candidates = list.map((c: unknown, i): Candidate => {
    const path = `candidates[${i}]`;
    if (!isObject(c)) throw invalid(path, `must be an object {itemId, features}, got ${describe(c)}`);
    return { itemId: id(c['itemId'], `${path}.itemId`, vocab.itemIds), features: features(c['features'], `${path}.features`) };
  });
  return { userId, userFeatures, candidates };
}

/**
 * A rank request body as the model's input tensors, with ids inside the model's embedding tables; throws a
 * 400 naming the first bad field. Most requests are read by the scan; the rest, and every error, by
 * JSON.parse and parseRankRequest.
 */
export function readRankRequest(body: Buffer, vocab: ModelIo['vocab']): RankInput {
  return scanRankRequest(body, vocab) ?? packRankRequest(parseRankRequest(parseJson(body), vocab));
}
