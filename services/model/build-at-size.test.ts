/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
// Models at sizes the drills' 7.7 MB model is not: built in child processes, since what is asserted is the
// build's own peak memory and the bytes on disk.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInChildProcess } from './build-process';
import { readModelDir } from './manifest';
import { checkProbes } from './probes';
import { Ranker } from './ranker';
import { generateRequests } from './requests';

const MIB = 2 ** 20;
// Item rows of 64 float32 (256 bytes each) for a table of about `mib` MiB.
const itemVocabOf = (mib: number) => (mib * MIB) / 256;

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('a model built at size', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'model-at-size-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('is the same bytes on every build of the same seed and sizes, as its manifest says', async () => {
    const shape = { itemVocab: itemVocabOf(64) };
    const first = await buildInChildProcess(join(root, 'a'), { shape });
    const second = await buildInChildProcess(join(root, 'b'), { shape });
    expect(first.bytes).toBeGreaterThan(64 * MIB);
    expect(second.sha256).toBe(first.sha256);
    expect(await fileSha256(join(root, 'b', 'model.onnx'))).toBe(first.sha256);
    const { manifest } = await readModelDir(join(root, 'a'));
    expect(manifest).toMatchObject({ sha256: first.sha256, bytes: first.bytes, io: { vocab: { itemIds: itemVocabOf(64), userId: 10_000 } } });
    expect(manifest.version).toMatch(/^two-tower-s42-u10000i262144e64h64o32-[0-9a-f]{8}$/);
  });

  it('loads in onnxruntime, passes its probe set and scores ids from the whole catalogue', async () => {
    const { manifest, modelPath } = await readModelDir(join(root, 'a'));
    const ranker = await Ranker.load(modelPath, manifest.io);
    try {
      expect(await checkProbes((req) => ranker.score(req), manifest.probes!, 'fp32')).toBeUndefined();
      const [req] = generateRequests({ seed: 3, count: 1, candidates: 50, vocab: manifest.io.vocab });
      const lastRow = { ...req!, candidates: [{ ...req!.candidates[0]!, itemId: itemVocabOf(64) - 1 }, ...req!.candidates.slice(1)] };
      const scores = await ranker.score(lastRow);
      expect(scores).toHaveLength(50);
      expect(Array.from(scores).every(Number.isFinite)).toBe(true);
    } finally {
      await ranker.release();
    }
  });

  it('streams: building 256 MiB adds less than a quarter of the model to the peak memory of a tiny build', async () => {
    const tiny = await buildInChildProcess(join(root, 'tiny'), { shape: { itemVocab: 1 } });
    const large = await buildInChildProcess(join(root, 'large'), { shape: { itemVocab: itemVocabOf(256) } });
    expect(large.bytes).toBeGreaterThan(256 * MIB);
    expect(large.maxRssBytes - tiny.maxRssBytes).toBeLessThan(large.bytes / 4);
  });
});
