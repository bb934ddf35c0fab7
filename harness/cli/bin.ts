// Process entry point of the `drill` CLI (bin/drill.js loads the compiled copy). It loads the commands, and with
// them testcontainers, only once testcontainers can load on this Node (undici-check.ts); otherwise it says why and
// how to fix it, and only `drill init`, which writes the fix, runs.
import { ExitCode } from '../errors';
import { testcontainersUndiciProblem } from '../undici-check';

const problem = testcontainersUndiciProblem();
const command = process.argv[2];
let run: Promise<number>;
if (problem === undefined) run = (require('./main') as typeof import('./main')).main(process.argv);
else if (command === 'init') run = (require('./init') as typeof import('./init')).initMain(process.argv);
else {
  console.error(`drill: ${problem}`);
  run = Promise.resolve(ExitCode.invalidInput);
}
run.then((code) => {
  process.exitCode = code;
});
