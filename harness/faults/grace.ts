import { z } from 'zod';

/** How long a SIGTERMed process may take to exit before it is killed (stop, restart). */
export const graceAttribute = z.number().int().min(0).max(60_000).default(10_000).describe('ms the process may take to exit after SIGTERM before it is killed');
