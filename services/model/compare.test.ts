/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelDir } from './build';
import { compareModels } from './compare';

describe('compareModels', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'compare-'));
    await writeModelDir(join(root, 'fp32'));
    await writeModelDir(join(root, 'int8'), { precision: 'int8' });
    await writeModelDir(join(root, 'other'), { seed: 7 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('finds a model identical to itself', async () => {
    const c = await compareModels(join(root, 'fp32'), join(root, 'fp32'), { requests: 20 });
    expect(c).toMatchObject({ maxAbsScoreDelta: 0, meanTop10Overlap: 1, minTop10Overlap: 1, sameTop1Rate: 1, sizeRatio: 1, precisionRatio: 1 });
  });

  it('measures what int8 costs: 3.5x+ smaller, a quarter of the bits, top-10 mostly kept', async () => {
    const c = await compareModels(join(root, 'fp32'), join(root, 'int8'), { requests: 200 });
    expect(c.requests).toBe(200);
    expect(c.a.precision).toBe('fp32');
    expect(c.b.precision).toBe('int8');
    expect(c.precisionRatio).toBe(0.25);
    expect(c.sizeRatio).toBeLessThan(1 / 3.5);
    expect(c.maxAbsScoreDelta).toBeGreaterThan(0);
    expect(c.maxAbsScoreDelta).toBeLessThan(0.5);
    expect(c.meanTop10Overlap).toBeGreaterThan(0.95);
    expect(c.minTop10Overlap).toBeGreaterThanOrEqual(0.8);
    expect(c.sameTop1Rate).toBeGreaterThan(0.9);
  });

  it('tells a different model apart', async () => {
    const c = await compareModels(join(root, 'fp32'), join(root, 'other'), { requests: 50 });
    expect(c.meanTop10Overlap).toBeLessThan(0.5);
    expect(c.sameTop1Rate).toBeLessThan(0.5);
  });

  it('refuses too few candidates to compare top-10 sets', async () => {
    await expect(compareModels(join(root, 'fp32'), join(root, 'int8'), { candidates: 5 })).rejects.toThrow('candidates must be at least 10');
  });
});
