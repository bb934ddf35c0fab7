import { duration } from '../scenario/duration';
import { toxicFault } from './toxic';

/** Data stops flowing and connections hang (closed after `timeout`, or never with 0): a half-dead network path. */
export const blackhole = toxicFault('timeout', 'stop all data through the target\'s proxy; close after timeout (0: never) (Toxiproxy timeout toxic)',
  { timeout: duration.default(0) },
  ({ timeout }) => ({ timeout }),
  {
    timeoutMs: () => 300,
    check: (probe) => (probe.answered ? `a probe through the proxy was answered in ${probe.elapsedMs.toFixed(1)} ms; no data should flow` : undefined),
  });
