// The model server a scenario chose (topology.replicas), as part of the plan: its kind, the image it runs (a
// preset's own image is built on first use, as a gateway preset's is), the models the harness copies into an image
// that has none, and the models the gateway may allow when the replicas' readiness does not name theirs.
import type { BuiltModel } from '../../services/model/build';
import type { Prepared } from '../prepare';
import type { Scenario } from '../scenario/load';
import { replicaKindOf } from '../scenario/replicas';
import { readSetupState } from '../setup/state';
import type { TopologySpec } from '../topology/pool';
import { ensureReplicaImage } from '../topology/replicas/images';

/** `spec` with the scenario's model server in place of the reference one; `spec` itself when it names none. */
export async function withReplicaPart(spec: TopologySpec, scenario: Scenario, models: Prepared['models'], allowed: readonly BuiltModel[]): Promise<TopologySpec> {
  const replicas = scenario.topology.replicas;
  if (replicas === undefined || replicas === 'reference') return spec;
  const { kind } = replicaKindOf(scenario);
  const image = typeof replicas === 'object' ? replicas.image : kind.image && (await ensureReplicaImage(kind.image, readSetupState().baseImage));
  return {
    ...spec,
    replicaKind: replicas as Exclude<TopologySpec['replicaKind'], undefined>,
    ...(image ? { images: { ...spec.images, inference: image } } : {}),
    ...(kind.modelFromHarness ? { models: { fp32: models.fp32, int8: models.int8 } } : {}),
    // The reference gateway learns the models it allows from the replicas' /readyz; a server that names none there
    // is given them.
    gateway: { allowedSha256: allowed.map((m) => m.manifest.sha256), ...spec.gateway },
  };
}
