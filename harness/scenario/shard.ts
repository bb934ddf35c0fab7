import { InvalidInputError } from '../errors';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses "i/n" (1 <= i <= n), naming the value when it is not one. */
export function parseShard(value: string, what = '--shard'): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || count < 1 || index < 1 || index > count) throw new InvalidInputError(`${what} must be i/n with 1 <= i <= n, got "${value}"`);
  return { index, count };
}

/**
 * The drills of one shard: sorted by name and dealt round-robin, so every machine computes the same split from
 * the same files, each drill runs on exactly one shard, and long and short drills spread evenly.
 */
export function selectShard<T extends { name: string }>(items: readonly T[], shard: Shard): T[] {
  return [...items].sort((a, b) => a.name.localeCompare(b.name)).filter((_, i) => i % shard.count === shard.index - 1);
}
