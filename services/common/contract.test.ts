import fc from 'fast-check';
import { rankingOf } from './contract';

describe('rankingOf', () => {
  // Float32 scores (what a model answers) are ranked by a native sort of packed keys; any other array with a
  // comparator. Both must give one order: descending score, ties by index, -0 equal to 0.
  it('ranks float32 scores as the comparator does, ties and signed zeros included', () => {
    const score = fc.oneof(fc.float({ noNaN: true }), fc.constantFrom(0, -0, 1, -1, Infinity, -Infinity, 1e-45, -1e-45));
    fc.assert(
      fc.property(fc.array(score, { maxLength: 300 }), (values) => {
        const scores = Float32Array.from(values);
        expect(rankingOf(scores)).toEqual(rankingOf(Array.from(scores)));
      }),
      { numRuns: 2000 },
    );
  });

  it('ranks best first, ties by index', () => {
    expect(rankingOf(Float32Array.of(0.5, 2, -0, 0, 2, -3))).toEqual([1, 4, 0, 2, 3, 5]);
    expect(rankingOf([0.5, 2, -0, 0, 2, -3])).toEqual([1, 4, 0, 2, 3, 5]);
  });
});
