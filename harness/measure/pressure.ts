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

/** The machine's CPU time since boot, in clock ticks summed over its CPUs (/proc/stat, line "cpu"). */
export interface CpuTimes {
  /** Ticks the hypervisor ran something else while this (virtual) machine had work: steal. */
  steal: number;
  /** All ticks: user, nice, system, idle, iowait, irq, softirq, steal. */
  total: number;
}

const STAT_FILE = '/proc/stat';

/** The CPU times, or undefined where there is no /proc/stat or its line has no steal field (kernels before 2.6.11). */
export function readCpuTimes(file = STAT_FILE): CpuTimes | undefined {
  try {
    const line = /^cpu\s+(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already counted in user.
    const ticks = line?.trim().split(/\s+/).slice(0, 8).map(Number);
    if (!ticks || ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
    return { steal: ticks[7] as number, total: ticks.reduce((sum, t) => sum + t, 0) };
  } catch {
    return undefined;
  }
}

/**
 * % of the machine's CPU time between two readings that the hypervisor gave to other guests while this one
 * had work (0 on bare metal). Pressure inside the machine cannot see it: a stolen CPU stalls every task on it,
 * a real-time one too. null when either reading is missing or no tick passed.
 */
export function stealBetween(from: CpuTimes | undefined, to: CpuTimes | undefined): number | null {
  if (!from || !to || to.total <= from.total) return null;
  return (100 * Math.max(0, to.steal - from.steal)) / (to.total - from.total);
}
