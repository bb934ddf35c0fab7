import { z } from 'zod';
import { defineReplicaFault } from './fault';
import { PICKUPS, installStagedModelFiles, modelFileProblem, pickUp, stageModelFiles } from './model-files';

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
    const { next } = ctx.models;
    const current = ctx.models[ctx.target.precision];
    await stageModelFiles(ctx.target, `${ctx.id}-next`, next.onnx, next.manifest);
    await stageModelFiles(ctx.target, `${ctx.id}-current`, current.onnx, current.manifest);
  },
  async inject(ctx, attrs) {
    await installStagedModelFiles(ctx.target, `${ctx.id}-next`);
    ctx.markInjected();
    await pickUp(ctx.topology, ctx.target, attrs.then);
  },
  verify: (ctx) => modelFileProblem(ctx.target, ctx.models.next.onnx),
  async revert(ctx, attrs) {
    await installStagedModelFiles(ctx.target, `${ctx.id}-current`);
    await pickUp(ctx.topology, ctx.target, attrs.then);
  },
});
