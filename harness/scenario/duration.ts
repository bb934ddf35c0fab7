import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;

/** A duration written as milliseconds (number) or with a unit: "250ms", "2s", "1.5m". Parsed to milliseconds. */
export const duration = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(ms|s|m)$/, 'expected a duration such as "500ms", "2s" or "1m"')])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value) as unknown as [string, string, keyof typeof UNIT_MS];
    return Number(amount) * UNIT_MS[unit];
  });

/** A span that must be longer than zero: a timeout, an interval or a window of 0 ms would make the drill meaningless. */
export const positiveDuration = duration.refine((ms) => ms > 0, 'must be longer than 0');
