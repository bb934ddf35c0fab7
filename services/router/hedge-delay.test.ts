import { HedgeDelay, select } from './hedge-delay';

const adaptive = { percentile: 95, minMs: 2, maxMs: 1000, windowSize: 100, initialMs: 20 };

describe('HedgeDelay', () => {
  it('waits the initial delay until ten answers are sampled', () => {
    const delay = new HedgeDelay(adaptive);
    for (let i = 0; i < 9; i += 1) delay.record(1);
    expect(delay.delayMs()).toBe(20);
    delay.record(1);
    expect(delay.delayMs()).toBe(2);
  });

  it('follows the chosen percentile of the window', () => {
    const delay = new HedgeDelay(adaptive);
    for (let ms = 1; ms <= 100; ms += 1) delay.record(ms);
    expect(delay.delayMs()).toBe(95);
  });

  it('never goes below the floor', () => {
    const delay = new HedgeDelay(adaptive);
    for (let i = 0; i < 50; i += 1) delay.record(0.3);
    expect(delay.delayMs()).toBe(2);
  });

  it('never goes above the ceiling, however slow the replica has been', () => {
    const delay = new HedgeDelay({ ...adaptive, maxMs: 50 });
    for (let i = 0; i < 100; i += 1) delay.record(i < 80 ? 5 : 300);
    expect(delay.delayMs()).toBe(50);
  });

  it('forgets latencies older than the window', () => {
    const delay = new HedgeDelay({ ...adaptive, windowSize: 20 });
    for (let i = 0; i < 20; i += 1) delay.record(50);
    expect(delay.delayMs()).toBe(50);
    for (let i = 0; i < 20; i += 1) delay.record(5);
    expect(delay.delayMs()).toBe(5);
  });

  it('uses a fixed delay when one is given, whatever the samples', () => {
    const delay = new HedgeDelay({ ...adaptive, fixedMs: 7 });
    for (let i = 0; i < 50; i += 1) delay.record(100);
    delay.overtaken();
    expect(delay.delayMs()).toBe(7);
  });

  it('hedges at the floor from an attempt overtaken by its hedge until the replica answers again', () => {
    const delay = new HedgeDelay(adaptive);
    for (let i = 0; i < 20; i += 1) delay.record(40);
    delay.overtaken();
    expect(delay.delayMs()).toBe(2);
    delay.record(40);
    expect(delay.delayMs()).toBe(40);
  });
});

describe('select', () => {
  it('returns the k-th smallest value, as sorting would', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 10;
    for (let round = 0; round < 200; round += 1) {
      const n = 1 + (round % 37);
      const values = Float64Array.from({ length: n }, () => (round % 3 === 0 ? Math.floor(random()) : random()));
      const sorted = Float64Array.from(values).sort();
      for (let k = 0; k < n; k += 1) expect(select(Float64Array.from(values), n, k)).toBe(sorted[k]);
    }
  });
});
