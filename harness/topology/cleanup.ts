import { hostname } from 'node:os';
import { getContainerRuntimeClient } from 'testcontainers';
import { LABEL_KEEP, LABEL_OWNER, LABEL_PROJECT, LABEL_RUN } from './labels';

export interface SweepResult {
  containers: number;
  networks: number;
}

/**
 * Whether the run that labelled a resource `host:pid` may still be running. A run of another machine (several
 * machines sharing one remote engine, DOCKER_HOST) cannot be checked from here, so it counts as alive: only
 * `drill clean` removes it.
 */
export function ownerAlive(owner: string | undefined, thisHost: string = hostname()): boolean {
  const [host, pid] = (owner ?? '').split(':');
  if (!host || !pid) return false;
  if (host !== thisHost) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes containers and networks labelled by failover-drill runs. With `onlyDead`, spares those whose owning
 * process is still alive on this host (a concurrent run), those of other hosts, and kept topologies, so a new
 * run can sweep what a killed one left behind. With `ownerPids`, only what processes of this host with those pids
 * started.
 */
export async function sweep(opts: { onlyDead: boolean; runId?: string; ownerPids?: readonly number[] }): Promise<SweepResult> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const label = opts.runId ? `${LABEL_RUN}=${opts.runId}` : LABEL_PROJECT;
  const owners = opts.ownerPids && new Set(opts.ownerPids.map((pid) => `${hostname()}:${pid}`));
  const keep = (labels: Record<string, string> | undefined): boolean =>
    (owners !== undefined && !owners.has(labels?.[LABEL_OWNER] ?? '')) || (opts.onlyDead && (ownerAlive(labels?.[LABEL_OWNER]) || labels?.[LABEL_KEEP] === 'true'));
  const containers = (await docker.listContainers({ all: true, filters: { label: [label] } })).filter((c) => !keep(c.Labels));
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const networks = (await docker.listNetworks({ filters: { label: [label] } })).filter((n) => !keep(n.Labels));
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  return { containers: containers.length, networks: networks.length };
}
