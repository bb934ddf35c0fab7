// Network faults are Toxiproxy toxics on the target's proxy. The knobs every toxic shares (toxicity, direction)
// live here once; each fault file supplies only its type and its own attributes.
import type { Bandwidth, Latency, Slicer, Slowclose, Timeout, ToxicType } from 'toxiproxy-node-client';
// These two are declared beside the others but not re-exported by the package's index.
import type { LimitData, ResetPeer } from 'toxiproxy-node-client/dist/Toxic';
import { z } from 'zod';
import { InfrastructureError } from '../errors';
import { whenAnswered } from '../topology/effect';
import { defineFault, type FaultContext, type FaultType } from './fault';
import { probeThroughProxy, type ProbeResult } from './probe';

const sharedKnobs = z.object({
  toxicity: z.number().min(0).max(1).default(1).describe('share of connections affected'),
  direction: z.enum(['downstream', 'upstream']).default('downstream').describe('downstream: replica -> gateway'),
});

/** Each toxic a fault can add, with the attributes Toxiproxy takes for it. */
interface ToxicAttributes {
  latency: Latency;
  timeout: Timeout;
  reset_peer: ResetPeer;
  bandwidth: Bandwidth;
  slow_close: Slowclose;
  slicer: Slicer;
  limit_data: LimitData;
}
type FaultToxic = keyof ToxicAttributes & ToxicType;

type Attributes<S extends z.ZodRawShape> = z.output<z.ZodObject<S>> & z.output<typeof sharedKnobs>;

/** What a probe through the proxy should see while the toxic is active; returns why it does not. */
export type ToxicExpectation<S extends z.ZodRawShape> = {
  timeoutMs: (attrs: Attributes<S>) => number;
  check: (probe: ProbeResult, attrs: Attributes<S>) => string | undefined;
};

export function toxicFault<S extends z.ZodRawShape, T extends FaultToxic>(
  type: T,
  description: string,
  own: S,
  toAttributes: (attrs: z.output<z.ZodObject<S>>) => ToxicAttributes[T],
  expectation?: ToxicExpectation<S>,
): FaultType<Attributes<S>> {
  const attributes = sharedKnobs.extend(own).strict() as unknown as z.ZodType<Attributes<S>>;
  const name = (ctx: FaultContext): string => `${ctx.id}-${type}`;
  return defineFault({
    description,
    attributes,
    async inject(ctx, attrs) {
      // Toxiproxy answers once the toxic is in the link's chain: every byte after that passes through it.
      try {
        return await whenAnswered(`the Toxiproxy API answered that the ${type} toxic was added`, () =>
          ctx.target.proxy.instance.addToxic<ToxicAttributes[T]>({ name: name(ctx), type, stream: attrs.direction, toxicity: attrs.toxicity, attributes: toAttributes(attrs) }));
      } catch (cause) {
        throw new InfrastructureError(`adding the ${type} toxic to the ${ctx.target.name} proxy failed: ${(cause as Error).message}`, { cause });
      }
    },
    ...(expectation ? {
      async verify(ctx: FaultContext, attrs: Attributes<S>) {
        // A toxic on a share of connections may miss one probe; only a full-strength toxic can be checked so.
        if (attrs.toxicity < 1) return undefined;
        return expectation.check(await probeThroughProxy(ctx.target, expectation.timeoutMs(attrs)), attrs);
      },
    } : {}),
    async revert(ctx) {
      const toxic = await ctx.target.proxy.instance.getToxic<ToxicAttributes[T]>(name(ctx));
      await toxic.remove();
    },
  });
}
