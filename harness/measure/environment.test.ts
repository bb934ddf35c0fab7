import { environmentByPhase, phaseAt, sampleEnvironment, sendLateness, type EnvironmentSample } from './environment';
import type { FaultWindow } from './records';

/** A fault from 1000 to 2000 ms into the load. */
const faults: FaultWindow[] = [{ effectiveAtMs: 1000, revertedAtMs: 2000 }];
const sample = (fromMs: number, toMs: number, cpuPressurePercent: number, harnessCpuPercent = 10, cpuStealPercent: number | null = 0): EnvironmentSample =>
  ({ fromMs, toMs, pressureSource: 'psi', cpuPressurePercent, cpuStealPercent, harnessCpuPercent });

describe('phaseAt', () => {
  it('puts a moment before the first injection, inside a fault window, or after it', () => {
    expect(phaseAt(999, faults)).toBe('baseline');
    expect(phaseAt(1000, faults)).toBe('fault');
    expect(phaseAt(1999, faults)).toBe('fault');
    expect(phaseAt(2000, faults)).toBe('recovery');
    expect(phaseAt(5000, [{ effectiveAtMs: 1000 }])).toBe('fault'); // a fault without a revert lasts to the end
    expect(phaseAt(5000, [])).toBe('baseline');
  });
});

describe('environmentByPhase', () => {
  it('attributes each sample to the phase of its midpoint and weighs it by its length', () => {
    const samples = [sample(0, 900, 10), sample(900, 1000, 20), sample(1000, 1100, 80, 50), sample(1100, 1400, 40, 30), sample(1950, 2100, 60), sample(2100, 3000, 15)];
    const e = environmentByPhase(samples, [], faults);
    expect(e.pressureSource).toBe('psi');
    expect(e.phases.baseline.cpuPressurePercent).toBe(11); // (900 x 10 + 100 x 20) / 1000
    expect(e.phases.fault.cpuPressurePercent).toBe(50); // (100 x 80 + 300 x 40) / 400; 1950-2100 has its middle after the revert
    expect(e.phases.fault.harnessCpuPercent).toBe(35);
    expect(e.phases.recovery.cpuPressurePercent).toBe(21.4); // (150 x 60 + 900 x 15) / 1050
    expect(e.phases.run.cpuPressurePercent).toBe(21.8); // 53500 / 2450
  });

  it('weighs the steal of the samples that measured it, and has none where no sample did', () => {
    const samples = [sample(0, 900, 10, 10, 0), sample(900, 1000, 20, 10, 30), sample(1000, 1100, 80, 50, null), sample(1100, 1400, 40, 30, 12)];
    const e = environmentByPhase(samples, [], faults);
    expect(e.phases.baseline.cpuStealPercent).toBe(3); // (900 x 0 + 100 x 30) / 1000
    expect(e.phases.fault.cpuStealPercent).toBe(12); // the sample without a reading does not count as 0
    expect(environmentByPhase([sample(0, 900, 10, 10, null)], [], faults).phases.baseline.cpuStealPercent).toBeNull();
  });

  it('summarizes the send lateness of each phase from the requests the measurements put there', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ scheduledMs: 10 * i, sentMs: 10 * i + (i === 150 ? 8 : i % 100 === 0 ? 3 : 0.5) }));
    const e = environmentByPhase([], sendLateness(records, (r) => (r.scheduledMs < 1000 ? 'baseline' : r.scheduledMs < 2000 ? 'fault' : 'recovery')), faults);
    // Percentiles to the histogram's 3 significant digits.
    expect(e.phases.fault).toMatchObject({ sendLatenessP50Ms: 0.5, sendLatenessMaxMs: 8 });
    expect(e.phases.fault.sendLatenessP99Ms).toBeCloseTo(3, 2);
    expect(e.phases.baseline.sendLatenessMaxMs).toBe(3);
    expect(e.phases.run.sendLatenessMaxMs).toBe(8);
    // No sample: no pressure figure, rather than a made-up 0.
    expect(e.pressureSource).toBeNull();
    expect(e.phases.fault.cpuPressurePercent).toBeNull();
  });

  it('has no lateness for a phase without requests', () => {
    expect(environmentByPhase([], [], faults).phases.recovery).toMatchObject({ sendLatenessP99Ms: null, sendLatenessMaxMs: null });
  });
});

describe('sampleEnvironment', () => {
  it('samples the machine and this process over consecutive intervals on the load clock', async () => {
    const t0 = performance.now();
    const before = process.cpuUsage();
    const sampler = sampleEnvironment(t0, 20);
    // 100 ms of CPU on this thread (more wall time when the machine is busy), then idle.
    while (cpuMs(process.cpuUsage(before)) < 100);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const samples = sampler.stop();
    const used = cpuMs(process.cpuUsage(before));
    expect(samples.length).toBeGreaterThanOrEqual(2);
    samples.slice(1).forEach((s, i) => expect(s.fromMs).toBe((samples[i] as EnvironmentSample).toMs));
    expect(samples[0]?.fromMs).toBeGreaterThanOrEqual(0);
    // The samples account for the CPU this process used, no more.
    const sampledCpuMs = samples.reduce((sum, s) => sum + (s.harnessCpuPercent / 100) * (s.toMs - s.fromMs), 0);
    expect(sampledCpuMs).toBeGreaterThanOrEqual(95);
    expect(sampledCpuMs).toBeLessThanOrEqual(used + 1);
    expect(samples.every((s) => s.cpuPressurePercent >= 0 && s.cpuPressurePercent <= 100)).toBe(true);
    if (process.platform === 'linux') expect(samples.every((s) => s.cpuStealPercent === null || (s.cpuStealPercent >= 0 && s.cpuStealPercent <= 100))).toBe(true);
  });
});

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
