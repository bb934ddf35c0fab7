import { z } from 'zod';
import { duration } from '../scenario/duration';
import { toxicFault } from './toxic';

/** Data arrives in small slices with pauses between them: a lossy or congested path that fragments answers. */
export const slicer = toxicFault('slicer', 'slice data through the target\'s proxy into small pieces with delays (Toxiproxy slicer toxic)',
  {
    averageSize: z.number().int().min(1).describe('bytes per slice on average'),
    sizeVariation: z.number().int().min(0).default(0),
    delay: duration.default(0).describe('pause between slices (converted to microseconds for Toxiproxy)'),
  },
  ({ averageSize, sizeVariation, delay }) => ({ average_size: averageSize, size_variation: sizeVariation, delay: Math.round(delay * 1000) }));
