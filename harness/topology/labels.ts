import { hostname } from 'node:os';

/** Every container and network a run creates carries these, so `drill clean` and the next run can find leftovers. */
export const LABEL_PROJECT = 'failover-drill';
export const LABEL_RUN = 'failover-drill.run';
export const LABEL_OWNER = 'failover-drill.owner';
/** Set on topologies left running on purpose (`drill run --keep`): only `drill clean` removes them. */
export const LABEL_KEEP = 'failover-drill.keep';

export function runLabels(runId: string, keep = false): Record<string, string> {
  return { [LABEL_PROJECT]: 'true', [LABEL_RUN]: runId, [LABEL_OWNER]: `${hostname()}:${process.pid}`, ...(keep ? { [LABEL_KEEP]: 'true' } : {}) };
}
