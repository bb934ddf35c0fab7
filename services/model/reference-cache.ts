// The judge's reference scores: a model's scores for a drill's request set, computed once per (model sha256,
// request set) and kept for the drills after it. At 1 GB a session takes seconds to create and the model's
// bytes should not sit in the harness, so the model is loaded from its file, one at a time, and released.
import { createHash } from 'node:crypto';
import type { Precision, RankRequest } from '../common/contract';
import type { Manifest } from './manifest';
import { Ranker } from './ranker';

export interface ReferenceScores {
  sha256: string;
  precision: Precision;
  /** scores[i] answers requests[i] of the request set. */
  scores: Float32Array[];
}

// Entries kept: a drill judges against at most three models (fp32, int8, next), and consecutive drills share a
// request set; 8 covers a run's distinct pairs without letting a long run's memory grow with its drills.
const MAX_ENTRIES = 8;
const cache = new Map<string, Promise<ReferenceScores>>();

/** A key for the request set: two equal sets share it, whatever object holds them. */
export function requestSetKey(requests: readonly RankRequest[]): string {
  const hash = createHash('sha256');
  for (const r of requests) hash.update(JSON.stringify(r));
  return hash.digest('hex');
}

async function score(model: string | Uint8Array, manifest: Manifest, requests: readonly RankRequest[]): Promise<ReferenceScores> {
  const ranker = await Ranker.load(model, manifest.io);
  try {
    const scores: Float32Array[] = [];
    for (const r of requests) scores.push(Float32Array.from(await ranker.score(r)));
    return { sha256: manifest.sha256, precision: manifest.precision, scores };
  } finally {
    await ranker.release();
  }
}

/**
 * The model's scores for `requests`, from the cache when this model (by manifest sha256) already scored this
 * request set. `model` is its file path (preferred for large models) or its bytes; the caller has verified it.
 */
export function cachedReferenceScores(model: string | Uint8Array, manifest: Manifest, requests: readonly RankRequest[]): Promise<ReferenceScores> {
  const key = `${manifest.sha256}:${requestSetKey(requests)}`;
  const hit = cache.get(key);
  if (hit) {
    // Most recently used last, so the oldest is evicted first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const computed = score(model, manifest, requests);
  cache.set(key, computed);
  computed.catch(() => cache.delete(key));
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  return computed;
}
