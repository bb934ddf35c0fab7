import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelDir } from './build';
import { MANIFEST_FILE, readModelDir, sha256Hex } from './manifest';

describe('model directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-dir-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes model.onnx whose sha256 and size match manifest.json', async () => {
    const written = await writeModelDir(dir, { seed: 3 });
    const { manifest, modelPath } = await readModelDir(dir);
    const bytes = await readFile(modelPath);
    expect(manifest).toEqual(written);
    expect(manifest.seed).toBe(3);
    expect(sha256Hex(bytes)).toBe(manifest.sha256);
    expect(bytes.byteLength).toBe(manifest.bytes);
  });

  it('names the file and the field of an invalid manifest', async () => {
    const manifest = await writeModelDir(dir);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, inputs: [{ name: 'user_id', type: 'int32', shape: [1] }] }));
    await expect(readModelDir(dir)).rejects.toThrow(`${join(dir, MANIFEST_FILE)}: field "inputs[0].type" is invalid`);
  });

  it('says when the manifest is not JSON or missing', async () => {
    await writeFile(join(dir, MANIFEST_FILE), '{ nope');
    await expect(readModelDir(dir)).rejects.toThrow(`${join(dir, MANIFEST_FILE)} is not valid JSON`);
    await expect(readModelDir(join(dir, 'absent'))).rejects.toThrow('cannot read model manifest');
  });
});
