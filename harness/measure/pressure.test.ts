import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pressureBetween, readPressure } from './pressure';

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
});
