/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelDir } from './build';
import { compareModels, formatComparison, type ModelComparison } from './compare';

/**
 * What each int8 variant promises against fp32 over 200 requests of 100 candidates, about twice the distance
 * measured (weight-only: max |Δ| 0.120, top-10 mean 98.8%, worst 90%, same top-1 97%; dynamic: 0.146, 98.6%,
 * 90%, 96.5%). Quantizing the activations too costs little agreement at these widths.
 */
const BOUNDS = {
  'weight-only': { maxAbsScoreDelta: 0.25, meanTop10Overlap: 0.95, minTop10Overlap: 0.7, sameTop1Rate: 0.9 },
  dynamic: { maxAbsScoreDelta: 0.3, meanTop10Overlap: 0.95, minTop10Overlap: 0.7, sameTop1Rate: 0.9 },
};

describe('compareModels', () => {
  let root: string;
  let int8: ModelComparison;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'compare-'));
    await writeModelDir(join(root, 'fp32'));
    await writeModelDir(join(root, 'int8'), { precision: 'int8' });
    await writeModelDir(join(root, 'int8dq'), { precision: 'int8', quantization: 'dynamic' });
    await writeModelDir(join(root, 'other'), { seed: 7 });
    int8 = await compareModels(join(root, 'fp32'), [join(root, 'int8'), join(root, 'int8dq')], { requests: 200 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('puts the reference first, agreeing with itself', () => {
    const [reference] = int8.rows;
    expect(reference).toMatchObject({ maxAbsScoreDelta: 0, meanTop10Overlap: 1, minTop10Overlap: 1, sameTop1Rate: 1, sizeRatio: 1, precisionRatio: 1 });
    expect(reference!.model.precision).toBe('fp32');
  });

  it.each([
    ['weight-only', 1],
    ['dynamic', 2],
  ] as const)('holds the int8 %s variant to its stated agreement with fp32', (quantization, row) => {
    const c = int8.rows[row]!;
    expect(c.model).toMatchObject({ precision: 'int8', ...(quantization === 'dynamic' ? { quantization } : {}) });
    expect(c.requests).toBe(200);
    expect(c.precisionRatio).toBe(0.25);
    expect(c.sizeRatio).toBeLessThan(1 / 3.5);
    const bounds = BOUNDS[quantization];
    expect(c.maxAbsScoreDelta).toBeGreaterThan(0);
    expect(c.maxAbsScoreDelta).toBeLessThan(bounds.maxAbsScoreDelta);
    expect(c.meanTop10Overlap).toBeGreaterThanOrEqual(bounds.meanTop10Overlap);
    expect(c.minTop10Overlap).toBeGreaterThanOrEqual(bounds.minTop10Overlap);
    expect(c.sameTop1Rate).toBeGreaterThanOrEqual(bounds.sameTop1Rate);
  });

  it('counts the weight bytes a request reads: int8 reads under a third of fp32', () => {
    const [fp32, weightOnly, dynamic] = int8.rows.map((r) => r.bytesPerRequest!);
    // 101 rows of 64 floats plus two towers of (80x64 + 64x32) weights and 96 biases.
    expect(fp32).toBe((101 * 64 + 2 * (80 * 64 + 64 * 32 + 96)) * 4);
    expect(weightOnly).toBe(dynamic);
    expect(weightOnly! / fp32!).toBeLessThan(1 / 3);
    for (const r of int8.rows) expect(r.cpuMsPerRequest).toBeGreaterThan(0);
  });

  it('prints one row per model', () => {
    const lines = formatComparison(int8).split('\n');
    expect(lines[1]).toMatch(/^model +bytes +size ratio +weight bytes\/req +CPU ms\/req +p50 ms +max \|Δscore\| +top-10 mean +top-10 worst +same top-1$/);
    expect(lines.slice(2, 5).map((l) => l.split(/ {2,}/)[0])).toEqual(['fp32', 'int8 weight-only', 'int8 dynamic']);
  });

  it('tells a different model apart', async () => {
    const c = (await compareModels(join(root, 'fp32'), [join(root, 'other')], { requests: 50 })).rows[1]!;
    expect(c.meanTop10Overlap).toBeLessThan(0.5);
    expect(c.sameTop1Rate).toBeLessThan(0.5);
  });

  it('refuses too few candidates to compare top-10 sets', async () => {
    await expect(compareModels(join(root, 'fp32'), [join(root, 'int8')], { candidates: 5 })).rejects.toThrow('candidates must be at least 10');
  });
});
