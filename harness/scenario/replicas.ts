// topology.replicas, checked before anything starts: a drill that needs something the chosen model server does
// not have is refused, naming the field and the reason, instead of running and measuring a fault that could not
// happen (a reload the server has no API for) or a check it cannot make (a hot backup it does not keep).
import type { ReplicaCapability, ReplicaKind } from '../topology/parts';
import { REPLICA_KINDS, type ReplicaKindName } from '../topology/replicas';
import { oipV2Replica } from '../topology/replicas/oip-v2';
import type { Report } from './checks';
import { protocolOf, type ScenarioEnvelope } from './schema';

/** The kind topology.replicas names, and how to name it in a message. */
export function replicaKindOf(scenario: ScenarioEnvelope): { kind: ReplicaKind; which: string } {
  const replicas = scenario.topology.replicas ?? 'reference';
  if (typeof replicas === 'string') return { kind: REPLICA_KINDS[replicas as ReplicaKindName], which: `the ${replicas} model server` };
  return { kind: oipV2Replica('your OIP v2 server', replicas), which: `your OIP v2 server (${replicas.image})` };
}

const WHY: Record<ReplicaCapability, string> = {
  'admin-reload': 'has no admin API to reload its model files (POST /admin/reload); use then: restart, which it meets as any server does',
  'hot-backup-sync': 'keeps no hot backup (a standby does not sync weights from the primary); drop topology.sync',
};

/**
 * `protocolWritten`: the file names topology.protocol. A server that speaks only OIP v2 makes it the default, and a
 * v1 the file asks for is refused.
 */
export function checkReplicas(scenario: ScenarioEnvelope, report: Report, protocolWritten: boolean): void {
  const { kind, which } = replicaKindOf(scenario);
  if (kind.oipV2Only && protocolOf(scenario.topology.protocol).name === 'v1') {
    if (protocolWritten) report(['topology', 'protocol'], `must be oip-v2 with ${which}: it speaks only the Open Inference Protocol v2 (no /v1/rank)`);
    else scenario.topology.protocol = 'oip-v2';
  }
  const lacks = (capability: ReplicaCapability): boolean => !kind.capabilities.includes(capability);
  if (scenario.topology.sync && lacks('hot-backup-sync')) report(['topology', 'sync'], `cannot be set with ${which}: it ${WHY['hot-backup-sync']}`, false);
  scenario.faults.forEach((fault, index) => {
    // corrupt-weights and deploy pick up their files through a reload unless told to restart; deploy's default is reload.
    const then = (fault as { then?: unknown }).then ?? (fault.fault === 'deploy' ? 'reload' : undefined);
    if (then === 'reload' && lacks('admin-reload')) {
      report(['faults', index, 'then'], `fault "${fault.fault}" picks its files up through a reload, and ${which} ${WHY['admin-reload']}`, false);
    }
  });
  if (scenario.topology.replicas !== undefined && scenario.topology.replicas !== 'reference' && scenario.topology.images?.inference !== undefined) {
    report(['topology', 'images', 'inference'], `cannot be set with ${which}: topology.images.inference is an image of the reference model server's CLI`, false);
  }
}
