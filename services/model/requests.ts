// Seeded rank requests: the harness's load uses the same request set in every run of a scenario.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { FEATURE_DIM, MAX_CANDIDATES, type RankRequest } from '../common/contract';
import { ITEM_VOCAB, type ModelIo, USER_VOCAB } from './manifest';

export interface RequestSetOptions {
  seed: number;
  count: number;
  /** Candidates per request, 1..MAX_CANDIDATES. */
  candidates: number;
  /** Id ranges of the model (a manifest's io.vocab); ids without one are drawn from the two-tower model's. */
  vocab?: ModelIo['vocab'];
}

export function generateRequests({ seed, count, candidates, vocab = {} }: RequestSetOptions): RankRequest[] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(candidates) || candidates < 1 || candidates > MAX_CANDIDATES) {
    throw new RangeError(`candidates must be an integer in 1..${MAX_CANDIDATES}, got ${candidates}`);
  }
  const users = vocab.userId ?? USER_VOCAB;
  const items = vocab.itemIds ?? ITEM_VOCAB;
  const rng = xoroshiro128plus(seed);
  return Array.from({ length: count }, () => ({
    userId: uniformInt(rng, 0, users - 1),
    userFeatures: features(rng),
    candidates: Array.from({ length: candidates }, () => ({ itemId: uniformInt(rng, 0, items - 1), features: features(rng) })),
  }));
}

// Four decimals keep request bodies about half the size of full doubles (less JSON to send and parse
// per request) while leaving the scores just as well separated.
function features(rng: RandomGenerator): number[] {
  return Array.from({ length: FEATURE_DIM }, () => Math.round((uniformFloat64(rng) * 2 - 1) * 1e4) / 1e4);
}
