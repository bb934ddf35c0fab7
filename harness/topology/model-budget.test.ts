import { modelLoadBudgetMs } from './model-budget';

describe('modelLoadBudgetMs', () => {
  it('keeps the small-model base for the drills\' 8 MB model and grows by 90 s per GB', () => {
    expect(modelLoadBudgetMs(30_000, 7_739_450)).toBe(30_697);
    expect(modelLoadBudgetMs(30_000, 1e9)).toBe(120_000);
    expect(modelLoadBudgetMs(5000, 0)).toBe(5000);
  });
});
