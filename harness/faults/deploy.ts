import { z } from 'zod';
import { defineReplicaFault } from './fault';
import { installAndPickUp, PICKUPS, pickUp } from './pick-up';

const attributes = z.object({
  then: z.enum(PICKUPS).default('reload'),
}).strict();

/**
 * A legitimate rollout: the next version of the model (valid, with its own manifest and probes) is written to
 * the target and picked up. With hot backup on, the standby should follow. Revert rolls back.
 */
export const deploy = defineReplicaFault<z.output<typeof attributes>>({
  description: 'roll out the next model version on the target (revert: roll back)',
  attributes,
  async prepare(ctx) {
    await ctx.target.stageModel(`${ctx.id}-next`, ctx.models.next);
    await ctx.target.stageModel(`${ctx.id}-current`, ctx.models[ctx.target.precision]);
  },
  inject: (ctx, attrs) => installAndPickUp(ctx.target, `${ctx.id}-next`, attrs.then),
  verify: async (ctx) => ctx.target.installedModelProblem(ctx.models.next.onnx),
  async revert(ctx, attrs) {
    await ctx.target.installStagedModel(`${ctx.id}-current`);
    await pickUp(ctx.target, attrs.then);
  },
});
