/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { buildModel } from './build';
import { Ranker } from './ranker';
import { generateRequests } from './requests';

describe('Ranker', () => {
  const model = buildModel();
  const requests = generateRequests({ seed: 11, count: 5, candidates: 100 });
  let ranker: Ranker;
  beforeAll(async () => {
    ranker = await Ranker.load(model.onnx);
  });
  afterAll(() => ranker.release());

  it('gives one finite score per candidate', async () => {
    const scores = await ranker.score(requests[0]!);
    expect(scores).toHaveLength(100);
    expect(scores.every(Number.isFinite)).toBe(true);
  });

  it('is reproducible across calls and across sessions', async () => {
    const again = await Ranker.load(model.onnx);
    try {
      for (const req of requests) {
        const scores = await ranker.score(req);
        expect(await ranker.score(req)).toEqual(scores);
        expect(await again.score(req)).toEqual(scores);
      }
    } finally {
      await again.release();
    }
  });

  it('separates candidates: scores are O(1), spread out, and mostly distinct', async () => {
    for (const req of requests) {
      const scores = Array.from(await ranker.score(req));
      expect(new Set(scores).size).toBeGreaterThan(95);
      expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(1);
      expect(Math.max(...scores.map(Math.abs))).toBeLessThan(100);
    }
  });

  it('scores a candidate the same whatever else is in the list', async () => {
    const req = requests[0]!;
    const full = await ranker.score(req);
    const single = await ranker.score({ ...req, candidates: [req.candidates[7]!] });
    expect(single[0]).toBeCloseTo(full[7]!, 5);
  });

  it('rejects bytes that are not a model', async () => {
    await expect(Ranker.load(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow();
  });
});
