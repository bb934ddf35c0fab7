import type { ModelAllowList } from './model-allow-list';
import type { Upstream } from './upstream';

export interface Prober {
  stop(): void;
}

export interface ProbeSchedule {
  /** Between probes of a replica whose breaker is open or whose model is still to be learned: fail-back speed. */
  intervalMs: number;
  /** Between health checks of a replica that takes traffic: how soon one that says it is not ready is skipped. */
  healthyIntervalMs: number;
  timeoutMs: number;
}

/**
 * Probes a replica's /readyz: often while its breaker is open (fail-back needs no client traffic) or its model
 * identity is unknown, less often while it takes traffic. Probes never overlap: the next one is scheduled
 * after the previous one settles.
 */
export function startProber(upstream: Upstream, allowList: ModelAllowList, schedule: ProbeSchedule): Prober {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastHealthCheckAt = performance.now();
  const next = () => {
    if (stopped) return;
    timer = setTimeout(tick, schedule.intervalMs);
    timer.unref();
  };
  const tick = () => {
    const healthCheck = upstream.state.isUp && performance.now() - lastHealthCheckAt >= schedule.healthyIntervalMs;
    if (upstream.state.isUp && !healthCheck && allowList.knows(upstream.role)) return next();
    if (healthCheck) lastHealthCheckAt = performance.now();
    void upstream.probe(schedule.timeoutMs, healthCheck).finally(next);
  };
  next();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
