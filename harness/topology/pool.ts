// One topology reused across consecutive drills that need the same replicas. Starting a topology takes about
// 2.2 s and removing it about 1.3 s on 2 cores; a reset takes a fraction of that. Reuse never trades isolation
// for speed: every drill gets a new gateway process (no breaker, hedging or hysteresis state carried over), no
// toxics, enabled proxies, running replicas whose model file and served model are verified to be the image's.
// Whatever cannot be verified is not reused: the topology is removed and a fresh one started.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Role } from '../../services/common/contract';
import type { BuiltModel } from '../../services/model/build';
import type { StartedReplicaContainer } from './parts';
import { startTopology, type Topology, type TopologyOptions } from './topology';

export type TopologySpec = Omit<TopologyOptions, 'runId' | 'keep'>;

export interface AcquiredTopology {
  topology: Topology;
  reused: boolean;
  /** Why the previous drill's topology could not be reused, when it could not. */
  resetProblem?: string;
}

const READY_TIMEOUT_MS = 15_000;
/** A reset restarts a replica with this grace: nothing in flight needs finishing between drills. */
const RESTART_GRACE_MS = 1000;

/** What identifies the parts a reset keeps: drills that differ only in gateway options share a topology. */
const replicaKey = (spec: TopologySpec): string =>
  JSON.stringify([spec.gatewayKind ?? null, spec.replicaKind ?? null, spec.images.inference, spec.toxiproxyImage, spec.standbyPrecision, spec.syncIntervalMs ?? null, spec.replicaArgs ?? {}, spec.model?.manifest.sha256 ?? null]);

/**
 * Whether the replica serves the model `sha256` within the timeout. A server whose readiness names no model
 * (an OIP v2 server) counts when it is ready: it is asked only after a restart with the verified file on disk.
 */
async function awaitServing(replica: StartedReplicaContainer, sha256: string, namesModel: boolean): Promise<boolean> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const readiness = await replica.readiness().catch(() => undefined);
    if (namesModel ? readiness?.sha256 === sha256 : readiness?.ready) return true;
    await sleep(100);
  }
  return false;
}

/** Brings a replica back to the image's state: running, its own model file on disk and in memory. */
async function resetReplica(replica: StartedReplicaContainer, model: BuiltModel): Promise<string | undefined> {
  await replica.unpause();
  await replica.startIfStopped();
  // What a server that does not say which model it serves has in memory is known only after it starts again.
  const namesModel = replica.readinessNamesModel;
  const fileProblem = await replica.modelFileProblem(model.onnx);
  if (fileProblem) await replica.replaceModel(model);
  if (fileProblem || !namesModel) await replica.restartGracefully(RESTART_GRACE_MS);
  if (!namesModel) return (await awaitServing(replica, model.manifest.sha256, false)) ? undefined : `${replica.role} is not ready within ${READY_TIMEOUT_MS} ms of a restart`;
  if (await awaitServing(replica, model.manifest.sha256, true)) return undefined;
  // Serving something else from a good file (a reload that did not take): a new process loads the file.
  await replica.restartGracefully(RESTART_GRACE_MS);
  if (await awaitServing(replica, model.manifest.sha256, true)) return undefined;
  return `${replica.role} does not serve model ${model.manifest.sha256.slice(0, 12)} within ${READY_TIMEOUT_MS} ms of a restart`;
}

export class TopologyPool implements AsyncDisposable {
  private idle: { key: string; topology: Topology } | undefined;
  /** Handed out and not released yet: disposing the pool removes these too. */
  private readonly inUse = new Set<Topology>();

  /** A topology for the next drill: the previous one, reset, when it has the same replicas; else a new one. */
  async acquire(spec: TopologySpec, models: Record<Role, BuiltModel>): Promise<AcquiredTopology> {
    const acquired = await this.take(spec, models);
    this.inUse.add(acquired.topology);
    return acquired;
  }

  private async take(spec: TopologySpec, models: Record<Role, BuiltModel>): Promise<AcquiredTopology> {
    const idle = this.idle;
    this.idle = undefined;
    if (idle?.key === replicaKey(spec)) {
      const problem = await this.reset(idle.topology, spec, models).catch((e: Error) => `reset failed: ${e.message}`);
      if (problem === undefined) return { topology: idle.topology, reused: true };
      await idle.topology[Symbol.asyncDispose]();
      return { topology: await startTopology({ ...spec, runId: newRunId() }), reused: false, resetProblem: problem };
    }
    if (idle) await idle.topology[Symbol.asyncDispose]();
    return { topology: await startTopology({ ...spec, runId: newRunId() }), reused: false };
  }

  /** After a drill: a topology whose drill passed is kept for the next one; any other is removed now. */
  async release(topology: Topology, reusable: boolean, spec: TopologySpec): Promise<void> {
    this.inUse.delete(topology);
    if (reusable) this.idle = { key: replicaKey(spec), topology };
    else await topology[Symbol.asyncDispose]();
  }

  private async reset(topology: Topology, spec: TopologySpec, models: Record<Role, BuiltModel>): Promise<string | undefined> {
    // Removes every toxic and enables every proxy.
    await topology.toxiproxy.client.reset();
    const problems = await Promise.all(Object.values(topology.replicas).map((r) => resetReplica(r, models[r.role])));
    const problem = problems.find((p) => p !== undefined);
    if (problem) return problem;
    await topology.replaceGateway(spec.images.router, spec.gateway);
    return undefined;
  }

  /** Removes every topology the pool started, idle or still handed out. */
  async [Symbol.asyncDispose](): Promise<void> {
    const all = [...this.inUse, ...(this.idle ? [this.idle.topology] : [])];
    this.inUse.clear();
    this.idle = undefined;
    await Promise.all(all.map((t) => t[Symbol.asyncDispose]()));
  }
}

const newRunId = (): string => `topology-${randomBytes(4).toString('hex')}`;
