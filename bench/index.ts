// `npm run bench [name...] [-- --rounds R --noise N]`: runs each benchmark module's run() in turn (or only the
// named ones). `stability` is the drills bench under noise: every built-in drill, R rounds (default 3), with N
// busy-looping neighbour processes (default 1); it runs only when named, since it takes R times a gate.
import { parseArgs } from 'node:util';
import { run as drills } from './drills';
import { run as inference } from './inference';
import { run as loadDrivers } from './load-drivers';
import { run as modelScale } from './model-scale';
import { run as router } from './router';

interface BenchFlags {
  rounds?: number;
  noise?: number;
}

const benches: [string, (flags: BenchFlags) => Promise<void>][] = [
  ['inference', inference],
  ['router', router],
  ['load-drivers', loadDrivers],
  ['model-scale', modelScale],
  ['drills', (flags) => drills(flags)],
  ['stability', ({ rounds = 3, noise = 1 }) => drills({ rounds, noise })],
];

function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got "${value}"`);
  return n;
}

(async () => {
  const { values, positionals: only } = parseArgs({ options: { rounds: { type: 'string' }, noise: { type: 'string' } }, allowPositionals: true });
  const rounds = count('rounds', values.rounds ?? process.env.DRILL_REPEATS, 1);
  const noise = count('noise', values.noise, 0);
  const flags: BenchFlags = { ...(rounds !== undefined ? { rounds } : {}), ...(noise !== undefined ? { noise } : {}) };
  const unknown = only.filter((name) => !benches.some(([n]) => n === name));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${benches.map(([n]) => n).join(', ')}`);
  for (const [name, run] of benches.filter(([n]) => (only.length === 0 ? n !== 'stability' : only.includes(n)))) {
    console.log(`\n== ${name}`);
    await run(flags);
  }
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
