import { z } from 'zod';
import { defineReplicaFault } from './fault';
import { PICKUPS, modelFileProblem, pickUp, writeModelFiles } from './model-files';

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
  async inject(ctx, attrs) {
    const next = ctx.models.next;
    await writeModelFiles(ctx.target, next.onnx, next.manifest);
    ctx.markInjected();
    await pickUp(ctx.topology, ctx.target, attrs.then);
  },
  verify: (ctx) => modelFileProblem(ctx.target, ctx.models.next.onnx),
  async revert(ctx, attrs) {
    const current = ctx.models[ctx.target.precision];
    await writeModelFiles(ctx.target, current.onnx, current.manifest);
    await pickUp(ctx.topology, ctx.target, attrs.then);
  },
});
