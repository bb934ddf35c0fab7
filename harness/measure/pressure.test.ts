import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pressureBetween, readCpuTimes, readPressure, stealBetween } from './pressure';

describe('CPU pressure', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'psi-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const psi = (total: number): string => {
    const file = join(dir, `cpu-${total}`);
    writeFileSync(file, `some avg10=1.00 avg60=2.00 avg300=3.00 total=${total}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`);
    return file;
  };

  it('is the share of the interval some task stalled for a CPU, from the PSI totals', () => {
    const from = { ...readPressure(psi(1_000_000)), atMs: 0 };
    const to = { ...readPressure(psi(1_250_000)), atMs: 1000 };
    expect(from.source).toBe('psi');
    // 250 ms stalled in 1000 ms
    expect(pressureBetween(from, to)).toEqual({ source: 'psi', percent: 25 });
  });

  it('falls back to the load average per core where the kernel has no PSI', () => {
    const reading = readPressure(join(dir, 'missing'));
    expect(reading.source).toBe('loadavg');
    expect(reading.loadPerCore).toBeGreaterThanOrEqual(0);
    const p = pressureBetween(reading, { ...reading, loadPerCore: 1.5 });
    expect(p).toEqual({ source: 'loadavg', percent: 150 });
  });

  const stat = (line: string): string => {
    const file = join(dir, `stat-${Math.random()}`);
    writeFileSync(file, `${line}\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 12345\n`);
    return file;
  };

  it('steal: the share of all CPU ticks between two readings that the hypervisor took', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice: guest (in user already) is not added.
    const from = readCpuTimes(stat('cpu  1000 0 200 700 0 0 0 100 50 0'));
    const to = readCpuTimes(stat('cpu  1300 0 300 900 0 0 0 300 80 0'));
    expect(from).toEqual({ steal: 100, total: 2000 });
    expect(to).toEqual({ steal: 300, total: 2800 });
    expect(stealBetween(from, to)).toBe(25); // 200 of 800 ticks
    expect(stealBetween(to, to)).toBeNull(); // no tick passed
  });

  it('steal: none where /proc/stat is missing or has no steal field', () => {
    expect(readCpuTimes(join(dir, 'missing'))).toBeUndefined();
    expect(readCpuTimes(stat('cpu  1000 0 200 700'))).toBeUndefined();
    expect(stealBetween(undefined, { steal: 1, total: 10 })).toBeNull();
    if (process.platform === 'linux') expect(readCpuTimes()?.total).toBeGreaterThan(0);
  });
});
