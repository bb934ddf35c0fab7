import { mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { weightsInFile, weightsInMemory } from './model-weights';

describe('model weights', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-weights-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('streams the file the handle was opened on, also after another file is renamed over its path, to several readers at once', async () => {
    const path = join(dir, 'model.onnx');
    await writeFile(path, 'verified bytes');
    const weights = weightsInFile(await open(path, 'r'), 14);
    await writeFile(join(dir, 'bad.onnx'), 'corrupted bytes, put in place');
    await rename(join(dir, 'bad.onnx'), path);
    await expect(Promise.all([text(weights.stream()), text(weights.stream())])).resolves.toEqual(['verified bytes', 'verified bytes']);
    await weights.close();
    await expect(text(weights.stream())).rejects.toThrow();
  });

  it('keeps its file open when a reader breaks off mid-stream: the next reader gets every byte and close() succeeds', async () => {
    const path = join(dir, 'large.onnx');
    const bytes = Buffer.alloc(3 * 2 ** 20 + 5, 7);
    await writeFile(path, bytes);
    const weights = weightsInFile(await open(path, 'r'), bytes.byteLength);
    const broken = weights.stream();
    await new Promise<void>((resolve) => broken.once('data', () => resolve()));
    // What pipeline does when the client's connection is cut: before the fix this closed the handle's descriptor.
    const closed = new Promise((resolve) => broken.once('close', resolve));
    broken.once('error', () => undefined);
    broken.destroy(new Error('the client went away'));
    await closed;
    await expect(buffer(weights.stream())).resolves.toEqual(bytes);
    await expect(weights.close()).resolves.toBeUndefined();
  });

  it('streams bytes held in memory', async () => {
    const weights = weightsInMemory(Buffer.from('downloaded'));
    expect(weights.size).toBe(10);
    await expect(text(weights.stream())).resolves.toBe('downloaded');
  });
});
