// Stage 4, load and faults: warm the serving path, then run the measured open-model load while the fault
// timeline breaks the deployment, stopping early (a rollback) when the scenario's stop condition is reached.
import { performance } from 'node:perf_hooks';
import { getContainerRuntimeClient } from 'testcontainers';
import { prepareOpenLoad, runOpenLoad } from '../load/open-load';
import type { ResourceSample } from '../measure/drift';
import { sampleResources } from '../measure/drift';
import { sampleEnvironment, type EnvironmentSample } from '../measure/environment';
import { isError, isWrong, type RequestRecord } from '../measure/records';
import type { Journal, JournalFault } from '../report/journal';
import type { Topology } from '../topology/topology';
import type { Emitter } from './events';
import type { DrillPlan } from './plan';
import { prepareFaults, runTimeline, type Timeline } from './timeline';

export interface LoadOutcome {
  records: RequestRecord[];
  faults: JournalFault[];
  rollback?: NonNullable<Journal['rollback']>;
  /** Container memory and CPU over the run (soak drills). */
  samples?: Record<string, ResourceSample[]>;
  /** The machine's CPU pressure and the harness's CPU over the load. */
  environment: EnvironmentSample[];
  /** From the load's t0 to the end of the last request. */
  loadMs: number;
}

/** Starts sampling the containers' resources when the scenario measures drift. */
async function resourceSampler({ scenario }: DrillPlan, topology: Topology, t0: number) {
  const spec = scenario.measure.drift;
  if (!spec) return undefined;
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const { primary, standby } = topology.replicas;
  return sampleResources(docker, { primary: primary.containerId, standby: standby.containerId, gateway: topology.gateway.containerId }, t0, spec.interval);
}

/** Watches each record for the scenario's stop condition and rolls the faults back once it is reached. */
function stopCondition({ scenario }: DrillPlan, t0: number, timeline: Timeline, events: Emitter): { onRecord(r: RequestRecord): void; rollback?: LoadOutcome['rollback'] } {
  const stopOn = scenario.rollback.stopOn;
  const seen = { errors: 0, wrongAnswers: 0 };
  const state: ReturnType<typeof stopCondition> = {
    onRecord(record) {
      events.emit({ type: 'record', drill: scenario.name, record });
      if (!stopOn || state.rollback) return;
      if (isError(record)) seen.errors++;
      if (isWrong(record)) seen.wrongAnswers++;
      const reached = (['errors', 'wrongAnswers'] as const).find((k) => stopOn[k] !== undefined && seen[k] >= (stopOn[k] as number));
      if (!reached) return;
      state.rollback = { atMs: Math.round(performance.now() - t0), reason: `stop condition ${reached} >= ${stopOn[reached]} reached` };
      events.emit({ type: 'phase', drill: scenario.name, phase: 'load', detail: `rollback: ${state.rollback.reason}; reverting every fault` });
      timeline.rollback();
    },
  };
  return state;
}

export async function runLoadAndFaults(plan: DrillPlan, topology: Topology, events: Emitter, signal?: AbortSignal): Promise<LoadOutcome> {
  const { scenario } = plan;
  const servedBy = topology.gateway.servedBy;
  const load = { url: topology.gatewayUrl, ...(servedBy ? { servedBy } : {}), warmPath: topology.gateway.healthPath, rate: scenario.load.rate, timeoutMs: scenario.load.timeout, requests: plan.requests, ...(signal ? { signal } : {}) };
  // The built-in generator's thread is started here, not inside a load's lead time (it takes 100-150 ms).
  await prepareOpenLoad();
  if (scenario.load.warmup > 0) {
    events.phase('warmup');
    // Same rate, not recorded: connection pools and JIT of the serving path are warm when measuring starts.
    // Built in for either driver: it is the servers that need warming, and k6 takes 1-2 s to launch.
    await runOpenLoad({ ...load, durationMs: scenario.load.warmup, t0: performance.now() }, plan.judge);
  }
  signal?.throwIfAborted();
  await prepareFaults(plan, topology);
  events.phase('load', `${scenario.load.rate} req/s for ${scenario.load.duration} ms, ${scenario.faults.length} fault(s)`);
  events.emit({ type: 'load', drill: scenario.name, total: Math.round((scenario.load.rate * scenario.load.duration) / 1000), rate: scenario.load.rate });
  const t0 = performance.now() + plan.startLeadMs;
  const timeline = runTimeline(plan, topology, t0, events, signal);
  const resources = await resourceSampler(plan, topology, t0);
  const machine = sampleEnvironment(t0);
  const stop = stopCondition(plan, t0, timeline, events);
  let records: RequestRecord[];
  let samples: LoadOutcome['samples'];
  let environment: EnvironmentSample[];
  try {
    [records] = await Promise.all([plan.runLoad({ ...load, durationMs: scenario.load.duration, t0, onRecord: stop.onRecord }), timeline.done]);
  } finally {
    environment = machine.stop();
    samples = await resources?.stop();
    await timeline.revertAll();
  }
  return {
    records,
    faults: timeline.entries,
    environment,
    ...(stop.rollback ? { rollback: stop.rollback } : {}),
    ...(samples ? { samples } : {}),
    loadMs: Math.round(performance.now() - t0),
  };
}
