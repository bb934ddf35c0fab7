// Soak measurements: does a deployment that survives each fault also stay the same over many of them?
// Memory of each container, sampled from the Docker engine during the load, and latency per time window of
// requests away from any fault. Drift is the change from the start of the run to its end.
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { summarizeLatency } from './latency';
import { isGood, latencyOf, type FaultWindow, type RequestRecord } from './records';
import { median } from './numbers';

export interface ResourceSample {
  /** ms since the load's t0 */
  atMs: number;
  memoryBytes: number;
  /** CPU time used since the previous sample, in percent of one core; absent for the first sample. */
  cpuPercent?: number;
}

export interface ContainerDrift {
  samples: ResourceSample[];
  /** Median of the first and of the last three samples (one sample can catch a garbage collection). */
  startMb: number;
  endMb: number;
  peakMb: number;
  growthMb: number;
  /** Least-squares slope of memory over the run. */
  slopeMbPerMin: number;
  meanCpuPercent: number | null;
}

export interface LatencyWindow {
  startMs: number;
  /** Good answers in the window that were sent away from every fault (outside fault window + settle time). */
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface Drift {
  containers: Record<string, ContainerDrift>;
  /** Largest growth of any container. */
  memoryGrowthMb: number;
  windows: LatencyWindow[];
  /** Last window minus first window (windows with at least 20 quiet answers); null with fewer than two. */
  p50DriftMs: number | null;
  p99DriftMs: number | null;
}

const MB = 1024 * 1024;
const MIN_WINDOW_ANSWERS = 20;

function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

export function containerDrift(samples: readonly ResourceSample[]): ContainerDrift {
  const mb = samples.map((s) => s.memoryBytes / MB);
  const edge = Math.min(3, mb.length);
  const startMb = median(mb.slice(0, edge));
  const endMb = median(mb.slice(mb.length - edge));
  const cpu = samples.flatMap((s) => (s.cpuPercent === undefined ? [] : [s.cpuPercent]));
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    samples: [...samples],
    startMb: round(startMb),
    endMb: round(endMb),
    peakMb: round(Math.max(...mb)),
    growthMb: round(endMb - startMb),
    slopeMbPerMin: round(slope(samples.map((s, i) => ({ x: s.atMs / 60_000, y: mb[i] as number })))),
    meanCpuPercent: cpu.length ? round(cpu.reduce((a, b) => a + b, 0) / cpu.length) : null,
  };
}

/** Latency per window of the load, from good answers sent outside every fault window and its settle time. */
export function latencyWindows(records: readonly RequestRecord[], faults: readonly FaultWindow[], windowMs: number, settleMs: number): LatencyWindow[] {
  const endMs = records.reduce((m, r) => Math.max(m, r.scheduledMs), 0);
  const quiet = (atMs: number): boolean => faults.every((f) => atMs < f.effectiveAtMs || atMs > (f.revertedAtMs ?? Infinity) + settleMs);
  const windows: LatencyWindow[] = [];
  for (let start = 0; start <= endMs; start += windowMs) {
    const latencies = records
      .filter((r) => r.scheduledMs >= start && r.scheduledMs < start + windowMs && quiet(r.sentMs) && isGood(r, Infinity))
      .map(latencyOf);
    const { count, p50Ms, p99Ms } = summarizeLatency(latencies);
    windows.push({ startMs: start, count, p50Ms, p99Ms });
  }
  return windows;
}

export function drift(containers: Record<string, readonly ResourceSample[]>, windows: readonly LatencyWindow[]): Drift {
  const perContainer = Object.fromEntries(Object.entries(containers).filter(([, s]) => s.length > 0).map(([name, s]) => [name, containerDrift(s)]));
  const usable = windows.filter((w) => w.count >= MIN_WINDOW_ANSWERS);
  const first = usable[0];
  const last = usable[usable.length - 1];
  const change = (key: 'p50Ms' | 'p99Ms'): number | null =>
    usable.length >= 2 && first?.[key] != null && last?.[key] != null ? Math.round((last[key] - first[key]) * 1000) / 1000 : null;
  return {
    containers: perContainer,
    memoryGrowthMb: Math.max(0, ...Object.values(perContainer).map((c) => c.growthMb)),
    windows: [...windows],
    p50DriftMs: change('p50Ms'),
    p99DriftMs: change('p99Ms'),
  };
}

/** Memory in use as `docker stats` shows it: usage minus the page cache the kernel can drop (cgroup v1 and v2). */
function memoryInUse(stats: Dockerode.ContainerStats): number {
  const m = stats.memory_stats as { usage?: number; stats?: Record<string, number> };
  const cache = m.stats?.['inactive_file'] ?? m.stats?.['total_inactive_file'] ?? 0;
  return Math.max(0, (m.usage ?? 0) - cache);
}

/**
 * Samples each container's memory and CPU every `intervalMs` from the Docker engine (one-shot stats, so a
 * sample costs one API call, not a second of waiting). A container that is down (a crash fault) is skipped.
 */
export function sampleResources(docker: Dockerode, containers: Record<string, string>, t0: number, intervalMs: number): { stop(): Promise<Record<string, ResourceSample[]>> } {
  const samples: Record<string, ResourceSample[]> = Object.fromEntries(Object.keys(containers).map((name) => [name, []]));
  const lastCpu: Record<string, { atMs: number; cpuNs: number }> = {};
  const sampleOnce = async (): Promise<void> => {
    await Promise.all(Object.entries(containers).map(async ([name, id]) => {
      const stats = await docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false }).catch(() => undefined);
      if (!stats || !stats.memory_stats?.usage) return;
      const atMs = performance.now() - t0;
      const cpuNs = stats.cpu_stats.cpu_usage.total_usage;
      const previous = lastCpu[name];
      lastCpu[name] = { atMs, cpuNs };
      const cpuPercent = previous && atMs > previous.atMs ? ((cpuNs - previous.cpuNs) / 1e6 / (atMs - previous.atMs)) * 100 : undefined;
      samples[name]?.push({ atMs: Math.round(atMs), memoryBytes: memoryInUse(stats), ...(cpuPercent !== undefined && cpuPercent >= 0 ? { cpuPercent: Math.round(cpuPercent * 10) / 10 } : {}) });
    }));
  };
  let inFlight = sampleOnce();
  const timer = setInterval(() => { inFlight = inFlight.then(sampleOnce); }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      await sampleOnce();
      return samples;
    },
  };
}
