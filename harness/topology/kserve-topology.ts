// Two KServe replicas (the kserve kind, its image built on first use) serving the prepared fp32 model, behind
// Toxiproxy and the reference gateway: what the KServe container test and the inference bench's KServe row ask.
import { randomBytes } from 'node:crypto';
import type { Prepared } from '../prepare';
import { readSetupState } from '../setup/state';
import { ensureReplicaImage } from './replicas/images';
import { kserveReplica } from './replicas/kserve';
import { startTopology, type Topology } from './topology';

export async function startKserveTopology(runIdPrefix: string, prepared: Prepared): Promise<Topology> {
  const image = await ensureReplicaImage(kserveReplica.image!, readSetupState().baseImage);
  return startTopology({
    runId: `${runIdPrefix}-${randomBytes(4).toString('hex')}`,
    images: { ...prepared.images, inference: image },
    toxiproxyImage: prepared.toxiproxyImage,
    gateway: { failover: true, allowedSha256: [prepared.models.fp32.manifest.sha256] },
    standbyPrecision: 'fp32',
    replicaKind: 'kserve',
    models: { fp32: prepared.models.fp32, int8: prepared.models.int8 },
  });
}
