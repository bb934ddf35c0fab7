// Stage 2, topology: the deployment a drill runs against, started for it or taken from a pool of reused ones,
// and what happens to it afterwards (kept, handed back to the pool, or removed).
import { performance } from 'node:perf_hooks';
import type { Journal } from '../report/journal';
import type { TopologyPool } from '../topology/pool';
import { startTopology, type Topology } from '../topology/topology';
import type { Emitter } from './events';
import type { DrillPlan } from './plan';

export interface DeployOptions {
  /** Leave the topology running after the drill (removed by `drill clean`). */
  keep?: boolean;
  /** Reuse topologies across drills (reset between them). Ignored with keep. */
  topologies?: TopologyPool;
}

export interface Deployment {
  topology: Topology;
  info: NonNullable<Journal['topology']>;
  upMs: number;
  /** After the drill: `sound` when it passed, so the pool may reuse the topology for the next drill. */
  release(sound: boolean): Promise<void>;
}

export async function deploy({ spec, runId, scenario, models }: DrillPlan, opts: DeployOptions, events: Emitter): Promise<Deployment> {
  events.phase('topology', `run ${runId}`);
  const started = performance.now();
  const pool = opts.keep ? undefined : opts.topologies;
  if (pool) {
    const { topology, reused, resetProblem } = await pool.acquire(spec, { primary: models.fp32, standby: models[spec.standbyPrecision] });
    return {
      topology,
      info: { runId: topology.runId, reused, ...(resetProblem ? { resetProblem } : {}) },
      upMs: Math.round(performance.now() - started),
      release: (sound) => pool.release(topology, sound, spec),
    };
  }
  const topology = await startTopology({ ...spec, runId, keep: opts.keep === true });
  return {
    topology,
    info: { runId, reused: false },
    upMs: Math.round(performance.now() - started),
    async release() {
      if (opts.keep) {
        events.emit({ type: 'kept', drill: scenario.name, endpoints: await topology.endpoints() });
        return;
      }
      events.phase('teardown');
      await topology[Symbol.asyncDispose]();
    },
  };
}
