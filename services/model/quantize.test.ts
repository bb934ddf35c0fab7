import { dequantize, quantizePerAxis } from './quantize';

describe('quantizePerAxis', () => {
  const values = Float32Array.from([0.5, -1, 0.25, 2, 0, 0, -4, 1]);
  const dims = [4, 2] as const;

  it('gives each row its own scale on axis 0, mapping the largest magnitude to ±127', () => {
    const q = quantizePerAxis(values, dims, 0);
    expect(Array.from(q.scales)).toEqual([1 / 127, 2 / 127, 1, 4 / 127].map(Math.fround));
    expect(Array.from(q.values)).toEqual([64, -127, 16, 127, 0, 0, -127, 32]);
  });

  it('gives each column its own scale on axis 1', () => {
    const q = quantizePerAxis(values, dims, 1);
    expect(Array.from(q.scales)).toEqual([4, 2].map((m) => Math.fround(m / 127)));
    expect(q.values[6]).toBe(-127);
    expect(q.values[3]).toBe(127);
  });

  it('keeps an all-zero slice exact and bounds the error by half a step', () => {
    const q = quantizePerAxis(values, dims, 0);
    const back = dequantize(q, dims);
    expect(back[4]).toBe(0);
    expect(back[5]).toBe(0);
    values.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(q.scales[i >> 1]! / 2 + 1e-7));
  });

  it('refuses values that do not fill the dims', () => {
    expect(() => quantizePerAxis(values, [3, 2], 0)).toThrow('expected 6 values for dims [3, 2], got 8');
  });
});
