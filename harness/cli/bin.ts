// Process entry point of the `drill` CLI (bin/drill.js loads the compiled copy).
import { main } from './main';

main(process.argv).then((code) => {
  process.exitCode = code;
});
