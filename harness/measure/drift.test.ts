import { containerDrift, drift, latencyWindows, type ResourceSample } from './drift';
import type { RequestRecord } from './records';

const MB = 1024 * 1024;
const samples = (mbs: number[], everyMs = 10_000): ResourceSample[] => mbs.map((mb, i) => ({ atMs: i * everyMs, memoryBytes: mb * MB }));

describe('containerDrift', () => {
  it('measures growth from the medians of the first and last three samples, so one GC spike does not count', () => {
    const d = containerDrift(samples([100, 140, 100, 101, 102, 110, 111, 112]));
    expect(d.startMb).toBe(100);
    expect(d.endMb).toBe(111);
    expect(d.growthMb).toBe(11);
    expect(d.peakMb).toBe(140);
  });

  it('gives the least-squares slope per minute', () => {
    // +1 MB every 10 s = 6 MB/min
    expect(containerDrift(samples([50, 51, 52, 53, 54, 55, 56])).slopeMbPerMin).toBeCloseTo(6, 5);
    expect(containerDrift(samples([80, 80, 80, 80])).slopeMbPerMin).toBe(0);
  });
});

const record = (sentMs: number, latencyMs: number, status = 200): RequestRecord => ({ seq: 0, request: 0, scheduledMs: sentMs, sentMs, doneMs: sentMs + latencyMs, status });

describe('latencyWindows and drift', () => {
  const records: RequestRecord[] = [];
  for (let t = 0; t < 3000; t += 10) records.push(record(t, t < 1000 ? 2 : t < 2000 ? 3 : 5));
  // A fault in the middle of the last window: its slow answers must not count as drift.
  for (let t = 2400; t < 2500; t += 1) records.push(record(t + 0.5, 400));

  it('splits the load into windows and leaves out requests sent during a fault and its settle time', () => {
    const windows = latencyWindows(records, [{ effectiveAtMs: 2400, revertedAtMs: 2500 }], 1000, 100);
    expect(windows.map((w) => w.startMs)).toEqual([0, 1000, 2000]);
    // HDR histogram: 3 significant digits
    expect(windows.map((w) => w.p99Ms)).toEqual([expect.closeTo(2, 1), expect.closeTo(3, 1), expect.closeTo(5, 1)]);
    // 100 in the last second, minus the 21 sent in [2400, 2600] (fault plus settle time, both ends included)
    expect(windows[2]?.count).toBe(79);
  });

  it('reports drift as last window minus first, and the largest memory growth of any container', () => {
    const windows = latencyWindows(records, [{ effectiveAtMs: 2400, revertedAtMs: 2500 }], 1000, 100);
    const d = drift({ primary: samples([100, 100, 100, 130, 130, 130]), gateway: samples([50, 50, 50, 52, 52, 52]) }, windows);
    expect(d.p99DriftMs).toBeCloseTo(3, 1);
    expect(d.p50DriftMs).toBeCloseTo(3, 1);
    expect(d.memoryGrowthMb).toBe(30);
  });

  it('has no latency drift with fewer than two windows of enough quiet answers', () => {
    const d = drift({}, latencyWindows(records.slice(0, 50), [], 1000, 0));
    expect(d.p99DriftMs).toBeNull();
    expect(d.memoryGrowthMb).toBe(0);
  });
});
