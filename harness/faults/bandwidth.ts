import { z } from 'zod';
import { toxicFault } from './toxic';

/** The link to the target is choked to `rate` KB/s: a saturated NIC or cross-zone link. */
export const bandwidth = toxicFault('bandwidth', 'limit throughput through the target\'s proxy to rate KB/s (Toxiproxy bandwidth toxic)',
  { rate: z.number().int().min(1).describe('KB/s') },
  ({ rate }) => ({ rate }));
