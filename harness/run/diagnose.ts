// Troubleshooting: each replica's own word on its readiness at the end of the drill, and the end of its log.
import type { ReplicaDiagnosis } from '../report/journal';
import type { Topology } from '../topology/topology';

const LOG_LINES = 20;

export async function diagnoseReplicas(topology: Topology): Promise<ReplicaDiagnosis[]> {
  return Promise.all(Object.values(topology.replicas).map(async (replica): Promise<ReplicaDiagnosis> => {
    const readiness = await replica.readiness(1000).then(
      (r) => `${r.status} ${r.body}`,
      (e: Error) => `unreachable: ${e.message}`,
    );
    const logTail = await replica.logTail(LOG_LINES).catch((e: Error) => [`logs unavailable: ${e.message}`]);
    return { role: replica.role, readiness, logTail };
  }));
}
