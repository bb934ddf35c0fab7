import { duration } from '../scenario/duration';
import { toxicFault } from './toxic';

/** Connections are reset (TCP RST) after `timeout`: a crashing sidecar or a load balancer dropping flows. */
export const resetPeer = toxicFault('reset_peer', 'reset connections through the target\'s proxy after timeout (Toxiproxy reset_peer toxic)',
  { timeout: duration.default(0) },
  ({ timeout }) => ({ timeout }),
  {
    timeoutMs: ({ timeout }) => timeout + 1000,
    check: (probe) => (probe.answered ? 'a probe through the proxy was answered; its connection should have been reset' : undefined),
  });
