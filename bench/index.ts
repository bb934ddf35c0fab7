// `npm run bench [name...]`: runs each benchmark module's run() in turn (or only the named ones).
import { run as drills } from './drills';
import { run as inference } from './inference';
import { run as loadDrivers } from './load-drivers';
import { run as router } from './router';

const benches: [string, () => Promise<void>][] = [
  ['inference', inference],
  ['router', router],
  ['load-drivers', loadDrivers],
  ['drills', drills],
];

(async () => {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !benches.some(([n]) => n === name));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${benches.map(([n]) => n).join(', ')}`);
  for (const [name, run] of benches.filter(([n]) => only.length === 0 || only.includes(n))) {
    console.log(`\n== ${name}`);
    await run();
  }
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
