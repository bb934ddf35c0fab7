import { FEATURE_DIM } from '../common/contract';
import { ITEM_VOCAB, USER_VOCAB } from './manifest';
import { generateRequests } from './requests';

describe('generateRequests', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = generateRequests({ seed: 5, count: 3, candidates: 10 });
    expect(generateRequests({ seed: 5, count: 3, candidates: 10 })).toEqual(a);
    expect(generateRequests({ seed: 6, count: 3, candidates: 10 })).not.toEqual(a);
  });

  it('uses ids inside the embedding tables and features in [-1, 1]', () => {
    const requests = generateRequests({ seed: 1, count: 50, candidates: 40 });
    expect(requests).toHaveLength(50);
    for (const req of requests) {
      expect(Number.isInteger(req.userId) && req.userId >= 0 && req.userId < USER_VOCAB).toBe(true);
      expect(req.candidates).toHaveLength(40);
      const features = [req.userFeatures, ...req.candidates.map((c) => c.features)];
      for (const f of features) {
        expect(f).toHaveLength(FEATURE_DIM);
        expect(f.every((x) => x >= -1 && x <= 1)).toBe(true);
      }
      expect(req.candidates.every((c) => Number.isInteger(c.itemId) && c.itemId >= 0 && c.itemId < ITEM_VOCAB)).toBe(true);
    }
  });

  it('draws ids from the id ranges it is given', () => {
    const requests = generateRequests({ seed: 1, count: 20, candidates: 20, vocab: { userId: 3, itemIds: 5 } });
    expect(new Set(requests.map((r) => r.userId))).toEqual(new Set([0, 1, 2]));
    expect(new Set(requests.flatMap((r) => r.candidates.map((c) => c.itemId)))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('refuses a candidate count the service would refuse', () => {
    expect(() => generateRequests({ seed: 1, count: 1, candidates: 0 })).toThrow('candidates must be an integer in 1..1000, got 0');
    expect(() => generateRequests({ seed: 1, count: 1, candidates: 1001 })).toThrow('got 1001');
  });
});
