// Troubleshooting: each replica's own word on its readiness at the end of the drill, and the end of its log and
// of the gateway's (nginx, HAProxy and Caddy say there why they answered 502 or 504: no live upstreams, a timeout).
import type { Diagnosis } from '../report/journal';
import { logTail } from '../topology/log-tail';
import type { Topology } from '../topology/topology';

const LOG_LINES = 20;

const unavailable = (e: Error): string[] => [`logs unavailable: ${e.message}`];

export async function diagnose(topology: Topology): Promise<Omit<Diagnosis, 'firstFailure'>> {
  const replicas = Promise.all(Object.values(topology.replicas).map(async (replica) => {
    const readiness = await replica.readiness(1000).then(
      (r) => `${r.status} ${r.body}`,
      (e: Error) => `unreachable: ${e.message}`,
    );
    return { role: replica.role, readiness, logTail: await replica.logTail(LOG_LINES).catch(unavailable) };
  }));
  const gateway = logTail(topology.gateway, LOG_LINES).catch(unavailable);
  return { replicas: await replicas, gateway: { logTail: await gateway } };
}
