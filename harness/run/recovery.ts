// Where a drill's recovery time went, step by step: each restart (from the old process stopping to the new one
// accepting connections, which the reference server does only once its model is loaded and verified) and each
// model load a replica made (startup, reload, hot-backup sync) with the time of its steps, as the replica
// measured them. With a large model these are seconds each, and they are what a recovery time objective is made of.
import type { ModelLoad } from '../../services/inference/model-manager';
import type { JournalFault, RecoveryStep } from '../report/journal';
import type { Topology } from '../topology/topology';

/** Each replica's model loads, by role, from servers that report them; a replica that cannot be asked has none. */
export async function modelLoadsOf(topology: Topology): Promise<Record<string, ModelLoad[]>> {
  const entries = await Promise.all(Object.values(topology.replicas).map(async (r) => [r.role, (await r.modelLoads?.().catch(() => undefined)) ?? []] as const));
  return Object.fromEntries(entries);
}

/**
 * `since` (ISO time, the drill's start): loads that finished before it belong to an earlier drill on a reused
 * topology. A replica's record covers its current process only: a restart forgets the loads before it.
 */
export function recoverySteps(faults: readonly JournalFault[], loads: Readonly<Record<string, readonly ModelLoad[]>>, since: string): RecoveryStep[] {
  const from = Date.parse(since);
  const restarts = faults.flatMap((f): RecoveryStep[] => {
    const again = f.effect?.acceptingAgainAtMs;
    if (again === undefined || f.effectiveAtMs === undefined) return [];
    return [{ replica: f.target, event: `${f.fault}: stopped -> accepting again`, outcome: 'accepting', atMs: f.effectiveAtMs, totalMs: Math.round(again - f.effectiveAtMs), steps: {} }];
  });
  const modelLoads = Object.entries(loads).flatMap(([replica, list]) => list.filter((l) => Date.parse(l.at) >= from).map((l): RecoveryStep => ({
    replica,
    event: `${l.source} load`,
    outcome: l.outcome,
    at: l.at,
    totalMs: l.totalMs,
    steps: l.steps,
    ...(l.bytes !== undefined ? { bytes: l.bytes } : {}),
    ...(l.version !== undefined ? { version: l.version } : {}),
  })));
  return [...restarts, ...modelLoads];
}
