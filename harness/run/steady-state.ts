// Stages 3 and 6, steady state before and after the faults: both replicas ready, the hot backup caught up, and
// the gateway answering correctly from the primary.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { INFERENCE_HEADER_CONTENT_LENGTH, type Role } from '../../services/common/contract';
import { isGood, type RequestRecord } from '../measure/records';
import type { SteadyStateCheck } from '../report/journal';
import { servedByRole } from '../topology/served-by';
import type { Topology } from '../topology/topology';
import type { DrillPlan } from './plan';

const STEADY_STATE_REQUESTS = 10;
const POLL_MS = 200;

/** Why the replicas are not both ready (and in sync, with hot backup on one precision); undefined when they are. */
async function replicasProblem(topology: Topology, hotBackup: boolean): Promise<string | undefined> {
  const serving: Partial<Record<Role, string>> = {};
  for (const replica of Object.values(topology.replicas)) {
    const readiness = await replica.readiness().catch((e: Error) => e);
    if (readiness instanceof Error) return `${replica.role} /readyz unreachable: ${readiness.message}`;
    if (!readiness.ready) return `${replica.role} not ready: ${readiness.status} ${readiness.body}`;
    serving[replica.role] = readiness.sha256;
  }
  const { primary, standby } = topology.replicas;
  if (hotBackup && standby.precision === primary.precision && serving.standby !== serving.primary) {
    return `the standby serves model ${serving.standby?.slice(0, 12)}, not the primary's ${serving.primary?.slice(0, 12)}: its hot backup has not caught up`;
  }
  return undefined;
}

/** Why the gateway's answers are not good ones from the primary; undefined when they are. */
async function gatewayProblem(topology: Topology, { requests, judge, scenario }: DrillPlan): Promise<string | undefined> {
  const servedBy = topology.gateway.servedBy;
  const seen: string[] = [];
  for (let i = 0; i < STEADY_STATE_REQUESTS; i++) {
    const { path, headers, body } = requests[i % requests.length]!;
    const sentMs = performance.now();
    const res = await request(`${topology.gatewayUrl}${path}`, { method: 'POST', body, headers });
    const answer = Buffer.from(await res.body.arrayBuffer());
    const headerLength = res.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    const judged = judge(i % requests.length, answer, typeof headerLength === 'string' ? headerLength : undefined);
    const record: RequestRecord = { seq: i, request: i % requests.length, scheduledMs: 0, sentMs, doneMs: performance.now(), status: res.statusCode, ...judged };
    // Connection set-up makes the very first request slow; judge it on correctness only.
    if (!isGood(record, i === 0 ? Infinity : scenario.load.slo)) {
      return `gateway request ${i} (POST ${path}) was not a good answer before any fault: ${res.statusCode} ${answer.subarray(0, headerLength === undefined ? 200 : Math.min(200, Number(headerLength))).toString()}`;
    }
    // A gateway that names no replica (no servedBy) is judged on its answers alone.
    if (!servedBy) continue;
    const value = res.headers[servedBy.header];
    const role = servedByRole(value, servedBy);
    if (role === 'standby') return `gateway request ${i} was served by the standby, not the primary, before any fault`;
    if (role === undefined) seen.push(String(value));
  }
  if (servedBy && seen.length === STEADY_STATE_REQUESTS) {
    return `no answer was attributed to the primary; check servedBy (header ${servedBy.header} was ${[...new Set(seen)].slice(0, 3).map((v) => JSON.stringify(v)).join(', ')}; primary is "${servedBy.primary}", standby "${servedBy.standby}")`;
  }
  return undefined;
}

/** Polls the steady state until it holds or the scenario's timeout passes (recovery after faults takes a moment). */
export async function awaitSteadyState(topology: Topology, plan: DrillPlan): Promise<SteadyStateCheck> {
  const timeoutMs = plan.scenario.steadyState.timeout;
  const hotBackup = plan.scenario.topology.sync !== undefined;
  const started = performance.now();
  for (;;) {
    const problem = await (async () => (await replicasProblem(topology, hotBackup)) ?? (await gatewayProblem(topology, plan)))()
      .catch((e: Error) => `steady-state check failed: ${e.message}`);
    const elapsedMs = Math.round(performance.now() - started);
    if (problem === undefined) return { ok: true, elapsedMs };
    if (elapsedMs >= timeoutMs) return { ok: false, detail: `${problem} (still after ${timeoutMs} ms)`, elapsedMs };
    await sleep(POLL_MS);
  }
}
