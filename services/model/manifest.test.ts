import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelDir } from './build';
import { MANIFEST_FILE, readModelDir, sha256Hex, TWO_TOWER_IO } from './manifest';

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

  it('carries the input mapping; a manifest without one maps the two-tower model', async () => {
    const { io, ...withoutIo } = await writeModelDir(dir);
    expect(io).toEqual(TWO_TOWER_IO);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(withoutIo));
    expect((await readModelDir(dir)).manifest.io).toEqual(TWO_TOWER_IO);
  });

  it('refuses a mapping without the id range of a mapped id input, or without item inputs', async () => {
    const manifest = await writeModelDir(dir);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, io: { ...manifest.io, vocab: { userId: 10 } } }));
    await expect(readModelDir(dir)).rejects.toThrow('field "io.vocab.itemIds" is invalid: is required when inputs.itemIds is mapped');
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, io: { ...manifest.io, inputs: { userId: 'user_id' } } }));
    await expect(readModelDir(dir)).rejects.toThrow('field "io.inputs" is invalid: must map itemIds or itemFeatures');
  });

  it('says when the manifest is not JSON or missing', async () => {
    await writeFile(join(dir, MANIFEST_FILE), '{ nope');
    await expect(readModelDir(dir)).rejects.toThrow(`${join(dir, MANIFEST_FILE)} is not valid JSON`);
    await expect(readModelDir(join(dir, 'absent'))).rejects.toThrow('cannot read model manifest');
  });
});
