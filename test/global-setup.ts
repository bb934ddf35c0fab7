// This repository's own jest run: a Ctrl-C or SIGTERM removes the containers of the drills in progress
// (harness/jest/interrupt.ts). Setting the machine up is `npm run setup`'s job (and .ci/run's), not each run's.
import { sweepOnSignal } from '../harness/jest/interrupt';

export default function globalSetup(): void {
  sweepOnSignal();
}
