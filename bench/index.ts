// `npm run bench`: runs each benchmark module's run() in turn.
import { run as inference } from './inference';
import { run as loadDrivers } from './load-drivers';
import { run as router } from './router';

const benches: [string, () => Promise<void>][] = [
  ['inference', inference],
  ['router', router],
  ['load-drivers', loadDrivers],
];

(async () => {
  for (const [name, run] of benches) {
    console.log(`\n== ${name}`);
    await run();
  }
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
