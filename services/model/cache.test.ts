import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from './build';
import { buildKey, cachedModelDir } from './cache';

describe('cachedModelDir', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'model-cache-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('builds a model once and finds it by its options afterwards', async () => {
    const first = await cachedModelDir({ precision: 'int8' }, root);
    const again = await cachedModelDir({ seed: 42, precision: 'int8', quantization: 'weight-only', shape: {} }, root);
    expect(first.built).toBe(true);
    expect(again).toEqual({ ...first, built: false });
    expect(first.manifest.sha256).toBe(buildModel({ precision: 'int8' }).manifest.sha256);
    expect(await readdir(root)).toEqual([buildKey({ precision: 'int8' })]);
  });

  it('keys different models apart', () => {
    expect(buildKey({})).not.toBe(buildKey({ shape: { itemVocab: 30_000 } }));
    expect(buildKey({ precision: 'int8' })).not.toBe(buildKey({ precision: 'int8', quantization: 'dynamic' }));
    expect(buildKey({})).toBe(buildKey({ seed: 42, precision: 'fp32', shape: { userVocab: 10_000 } }));
  });
});
