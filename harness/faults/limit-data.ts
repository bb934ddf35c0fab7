import { z } from 'zod';
import { toxicFault } from './toxic';

/** Connections close after `bytes` bytes: a transfer cut short, e.g. a weights download truncated in transit. */
export const limitData = toxicFault('limit_data', 'close connections through the target\'s proxy after `bytes` bytes (Toxiproxy limit_data toxic)',
  { bytes: z.number().int().min(1) },
  ({ bytes }) => ({ bytes }));
