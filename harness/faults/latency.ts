import { duration } from '../scenario/duration';
import { toxicFault } from './toxic';

/** Every response from the target is delayed: a slow model server, a GC pause, a noisy neighbour. */
export const latency = toxicFault('latency', 'delay data through the target\'s proxy (Toxiproxy latency toxic)',
  { latency: duration.describe('added delay'), jitter: duration.default(0).describe('random +/- variation') },
  ({ latency, jitter }) => ({ latency, jitter }),
  {
    timeoutMs: ({ latency, jitter }) => latency + jitter + 2000,
    check: (probe, { latency, jitter }) => {
      const floor = Math.max(0, latency - jitter) * 0.8;
      if (!probe.answered) return `a probe through the proxy failed (${probe.error}) instead of being delayed`;
      return probe.elapsedMs < floor ? `a probe through the proxy took ${probe.elapsedMs.toFixed(1)} ms, less than the ${latency} ms latency injected` : undefined;
    },
  });
