import type { ModelAllowList } from './model-allow-list';
import type { Upstream } from './upstream';

export interface Prober {
  stop(): void;
}

export interface ProbeSchedule {
  /** Between the starts of two probes of a replica whose breaker is open or whose model is still to be learned: fail-back speed. */
  intervalMs: number;
  /** Between health checks of a replica that takes traffic: how soon one that says it is not ready is skipped. */
  healthyIntervalMs: number;
  timeoutMs: number;
}

/** Probes of one replica in flight at once, at most: a bound for an interval set far below the probe timeout. */
const MAX_PROBES_IN_FLIGHT = 8;

/**
 * Probes a replica's /readyz: every intervalMs while its breaker is open (fail-back needs no client traffic) or
 * its model identity is unknown, every healthyIntervalMs while it takes traffic.
 *
 * Probes start on a fixed cadence, not one interval after the previous probe settled: a probe stuck on a
 * replica that is slow or partitioned would otherwise hold back the next one by its whole timeout, and fail-back
 * after such a fault would take timeout + recoveryThreshold x interval instead of recoveryThreshold x interval.
 * So probes may overlap, and their results count in the order the probes started: an answer from a probe older
 * than one already counted is dropped as stale (the newer probe saw the replica later).
 */
export function startProber(upstream: Upstream, allowList: ModelAllowList, schedule: ProbeSchedule): Prober {
  let stopped = false;
  let lastStarted = 0;
  let lastCounted = 0;
  let inFlight = 0;
  let lastHealthCheckAt = performance.now();
  // Enough that probes stuck until their timeout never hold back the next one on time.
  const maxInFlight = Math.min(MAX_PROBES_IN_FLIGHT, Math.ceil(schedule.timeoutMs / schedule.intervalMs) + 1);

  const tick = () => {
    const up = upstream.state.isUp;
    const healthCheck = up && performance.now() - lastHealthCheckAt >= schedule.healthyIntervalMs;
    if (up && !healthCheck && allowList.knows(upstream.role)) return;
    if (inFlight >= maxInFlight || (healthCheck && inFlight > 0)) return;
    if (healthCheck) lastHealthCheckAt = performance.now();
    const seq = ++lastStarted;
    inFlight += 1;
    void upstream.probe(schedule.timeoutMs).then((probe) => {
      inFlight -= 1;
      if (stopped || seq < lastCounted) return;
      lastCounted = seq;
      // A health check of a replica in traffic takes it out when the replica itself says it is not ready; one
      // that could not connect or timed out does not, since client requests judge those at once and better.
      upstream.state.recordProbe(probe, healthCheck && probe.answered);
    });
  };
  const timer = setInterval(tick, schedule.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
