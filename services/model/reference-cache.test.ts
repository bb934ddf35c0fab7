/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { buildModel } from './build';
import { cachedReferenceScores, requestSetKey } from './reference-cache';
import { Ranker } from './ranker';
import { generateRequests } from './requests';

describe('cachedReferenceScores', () => {
  const model = buildModel();
  const requests = generateRequests({ seed: 5, count: 20, candidates: 10 });

  it('scores the request set once per model and request set', async () => {
    const load = jest.spyOn(Ranker, 'load');
    const first = await cachedReferenceScores(model.onnx, model.manifest, requests);
    const again = await cachedReferenceScores(model.onnx, model.manifest, generateRequests({ seed: 5, count: 20, candidates: 10 }));
    expect(again).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
    expect(first).toMatchObject({ sha256: model.manifest.sha256, precision: 'fp32' });
    expect(first.scores).toHaveLength(20);
    const other = await cachedReferenceScores(model.onnx, model.manifest, requests.slice(1));
    expect(other.scores[0]).toEqual(first.scores[1]);
    expect(load).toHaveBeenCalledTimes(2);
    load.mockRestore();
  });

  it('keys request sets by content', () => {
    expect(requestSetKey(requests)).toBe(requestSetKey(generateRequests({ seed: 5, count: 20, candidates: 10 })));
    expect(requestSetKey(requests)).not.toBe(requestSetKey(requests.slice(1)));
  });
});
