import type { Upstream } from './upstream';

export interface Prober {
  stop(): void;
}

/**
 * Probes a replica's /readyz every `intervalMs` while it is marked down, so fail-back needs no client traffic.
 * Probes never overlap: the next one is scheduled after the previous one settles.
 */
export function startProber(upstream: Upstream, intervalMs: number, timeoutMs: number): Prober {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  const tick = () => {
    if (!upstream.state.isUp) void upstream.probe(timeoutMs).finally(schedule);
    else schedule();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
