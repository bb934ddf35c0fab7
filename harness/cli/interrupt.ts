// Ctrl-C and SIGTERM for the commands that start containers (run, compare): no container or network may outlive
// the command, also when it is interrupted.
import { ExitCode } from '../errors';
import { sweep } from '../topology/cleanup';
import { activeTopologies } from '../topology/topology';

/**
 * First Ctrl-C or SIGTERM: stop the drill in progress (faults reverted, topology removed, partial report
 * written, exit 130). A second one: remove what runs in progress started and exit at once.
 */
export function interruptOnSignal(controller: AbortController): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      console.error(`\ndrill: ${signal}: stopping; reverting faults and removing the topology (again to force)`);
      controller.abort(signal);
      return;
    }
    Promise.all([...activeTopologies].map((runId) => sweep({ onlyDead: false, runId }))).finally(() => process.exit(ExitCode.interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
