import { z } from 'zod';
import { CORRUPTION_MODES, corruptModel } from '../../services/model/corrupt';
import { defineReplicaFault, type FaultContext } from './fault';
import { installAndPickUp, PICKUPS, pickUp } from './pick-up';
import type { BuiltModel } from '../../services/model/build';
import type { StartedReplicaContainer as Replica } from '../topology/parts';

const attributes = z.object({
  mode: z.enum(CORRUPTION_MODES).describe('flip or zero a region, truncate, a NaN in a tensor, or another model\'s file (with its own manifest)'),
  then: z.enum(PICKUPS).default('restart').describe('restart the replica, or push it as a deploy through POST /admin/reload'),
  resign: z.boolean().default(false).describe('also rewrite the manifest checksum for the damaged bytes (a faulty export): only the probe set can tell'),
  region: z.number().int().min(1).default(65_536).describe('bytes damaged by flip and zero'),
}).strict();
type Attributes = z.output<typeof attributes>;

const original = (ctx: FaultContext<Replica>) => ctx.models[ctx.target.precision];

/** Damaged models by drill and fault, built in prepare (before the load) and reused by verify. */
const damagedModels = new Map<string, BuiltModel>();
const key = (ctx: FaultContext<Replica>): string => ctx.id;

function damaged(ctx: FaultContext<Replica>, attrs: Attributes): BuiltModel {
  let model = damagedModels.get(key(ctx));
  if (!model) {
    // The next version of the fp32 model is already built; anything else is computed here.
    model = attrs.mode === 'other-model' && ctx.target.precision === 'fp32'
      ? ctx.models.next
      : corruptModel(original(ctx), attrs.mode, { regionBytes: attrs.region, resign: attrs.resign });
    damagedModels.set(key(ctx), model);
  }
  return model;
}

/** Damaged weights on the replica's disk, picked up by a restart or a reload. Revert restores the original. */
export const corruptWeights = defineReplicaFault<Attributes>({
  description: 'write damaged weights into the target\'s model directory, then restart it or reload (a bad deploy)',
  attributes,
  async prepare(ctx, attrs) {
    const bad = damaged(ctx, attrs);
    const good = original(ctx);
    const rewritesManifest = attrs.resign || attrs.mode === 'other-model';
    await ctx.target.stageModel(`${ctx.id}-bad`, rewritesManifest ? bad : { onnx: bad.onnx });
    await ctx.target.stageModel(`${ctx.id}-good`, good);
  },
  inject: (ctx, attrs) => installAndPickUp(ctx.target, `${ctx.id}-bad`, attrs.then),
  verify: async (ctx, attrs) => ctx.target.installedModelProblem(damaged(ctx, attrs).onnx),
  async revert(ctx, attrs) {
    await ctx.target.installStagedModel(`${ctx.id}-good`);
    await pickUp(ctx.target, attrs.then);
    damagedModels.delete(key(ctx));
  },
});
