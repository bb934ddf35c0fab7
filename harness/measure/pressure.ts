// CPU pressure of the machine: the share of wall time in which at least one runnable task waited for a CPU
// (Linux PSI, /proc/pressure/cpu, line "some"). A healthy drill on a busy machine looks like a slow system;
// this says which it was. Where the kernel has no PSI, the 1-minute load average per core stands in (coarser:
// it lags by tens of seconds, so it only tells a busy machine from a quiet one).
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

export type PressureSource = 'psi' | 'loadavg';

export interface PressureReading {
  source: PressureSource;
  /** performance.now() of the reading. */
  atMs: number;
  /** psi: microseconds some task stalled for a CPU since boot. */
  stallUs?: number;
  /** loadavg: the 1-minute load average divided by the cores. */
  loadPerCore?: number;
}

export interface Pressure {
  source: PressureSource;
  /** psi: % of the interval some task waited for a CPU. loadavg: 100 x load per core at its end. */
  percent: number;
}

const PSI_FILE = '/proc/pressure/cpu';

export function readPressure(file = PSI_FILE): PressureReading {
  const atMs = performance.now();
  try {
    const total = /^some .*\btotal=(\d+)/m.exec(readFileSync(file, 'utf8'))?.[1];
    if (total !== undefined) return { source: 'psi', atMs, stallUs: Number(total) };
  } catch {
    // No PSI in this kernel (or not mounted): fall back below.
  }
  return { source: 'loadavg', atMs, loadPerCore: (loadavg()[0] as number) / availableParallelism() };
}

/** Pressure over the interval between two readings from the same source. */
export function pressureBetween(from: PressureReading, to: PressureReading): Pressure {
  if (from.source === 'psi' && to.source === 'psi' && to.atMs > from.atMs) {
    const stalledMs = ((to.stallUs as number) - (from.stallUs as number)) / 1000;
    return { source: 'psi', percent: Math.min(100, Math.max(0, (100 * stalledMs) / (to.atMs - from.atMs))) };
  }
  return { source: 'loadavg', percent: 100 * (to.loadPerCore ?? 0) };
}
