// Network faults are Toxiproxy toxics on the target's proxy. The knobs every toxic shares (toxicity, direction)
// live here once; each fault file supplies only its type and its own attributes.
import { z } from 'zod';
import { InfrastructureError } from '../errors';
import { defineFault, type FaultContext, type FaultType } from './fault';

const sharedKnobs = z.object({
  toxicity: z.number().min(0).max(1).default(1).describe('share of connections affected'),
  direction: z.enum(['downstream', 'upstream']).default('downstream').describe('downstream: replica -> gateway'),
});

type ToxicType = 'latency' | 'timeout' | 'reset_peer' | 'bandwidth' | 'slow_close' | 'slicer' | 'limit_data';

export function toxicFault<S extends z.ZodRawShape, A extends Record<string, number>>(
  type: ToxicType,
  description: string,
  own: S,
  toAttributes: (attrs: z.output<z.ZodObject<S>>) => A,
): FaultType<z.output<z.ZodObject<S>> & z.output<typeof sharedKnobs>> {
  const attributes = sharedKnobs.extend(own).strict() as unknown as z.ZodType<z.output<z.ZodObject<S>> & z.output<typeof sharedKnobs>>;
  const name = (ctx: FaultContext): string => `${ctx.id}-${type}`;
  return defineFault({
    description,
    attributes,
    async inject(ctx, attrs) {
      try {
        await ctx.target.proxy.instance.addToxic({ name: name(ctx), type, stream: attrs.direction, toxicity: attrs.toxicity, attributes: toAttributes(attrs) });
      } catch (cause) {
        throw new InfrastructureError(`adding the ${type} toxic to the ${ctx.target.role} proxy failed: ${(cause as Error).message}`, { cause });
      }
    },
    async revert(ctx) {
      const toxic = await ctx.target.proxy.instance.getToxic(name(ctx));
      await toxic.remove();
    },
  });
}
