import { duration } from '../scenario/duration';
import { toxicFault } from './toxic';

/** Every response from the target is delayed: a slow model server, a GC pause, a noisy neighbour. */
export const latency = toxicFault('latency', 'delay data through the target\'s proxy (Toxiproxy latency toxic)',
  { latency: duration.describe('added delay'), jitter: duration.default(0).describe('random +/- variation') },
  ({ latency, jitter }) => ({ latency, jitter }));
