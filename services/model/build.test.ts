import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { type BuildOptions, buildModel, quantizeModel, writeModelDir } from './build';
import { formatManifest, sha256Hex } from './manifest';
import { PROBE_TOLERANCE } from './probes';

describe('buildModel', () => {
  const first = buildModel();

  it('gives byte-identical models for the same seed', () => {
    expect(Buffer.from(buildModel({ seed: 42 }).onnx).equals(Buffer.from(first.onnx))).toBe(true);
  });

  it('is the model every drill and the inference image were made with: its sha256 is pinned', () => {
    expect(first.manifest.sha256).toBe('d9b13eff0e427f82822f6a9a9a074e272f57d61e6f9010fa6b321f6763258f53');
    expect(buildModel({ precision: 'int8' }).manifest.sha256).toBe('dbc6d2bfb735bcb15e707faf6d5590f2dbd90996fa0fdaf056f34cac4ec1fc58');
  });

  it.each<BuildOptions>([{}, { precision: 'int8' }, { precision: 'int8', quantization: 'dynamic' }, { seed: 3, shape: { itemVocab: 5000, embeddingDim: 8, hiddenDim: 24 } }])(
    'writes to a directory, streaming, the same bytes and manifest it builds in memory (%j)',
    async (opts) => {
      const dir = await mkdtemp(join(tmpdir(), 'build-'));
      try {
        const manifest = await writeModelDir(dir, opts);
        const built = buildModel(opts);
        expect(Buffer.from(await readFile(join(dir, 'model.onnx'))).equals(Buffer.from(built.onnx))).toBe(true);
        expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe(formatManifest(built.manifest));
        expect(manifest).toEqual(built.manifest);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('refuses sizes it cannot build, naming the field', () => {
    expect(() => buildModel({ shape: { embeddingDim: 0 } })).toThrow('embeddingDim must be an integer in 1..4096, got 0');
    expect(() => buildModel({ shape: { itemVocab: 10_000_000 } })).toThrow(/exceeds the 2 GiB an ONNX file can hold/);
    expect(() => buildModel({ quantization: 'dynamic' })).toThrow('quantization dynamic needs precision int8, got fp32');
  });

  it('gives different weights for a different seed', () => {
    const other = buildModel({ seed: 7 });
    expect(other.manifest.sha256).not.toBe(first.manifest.sha256);
    expect(other.manifest.version).toMatch(/^two-tower-s7-[0-9a-f]{8}$/);
  });

  it('describes the bytes it returns in the manifest', () => {
    const { onnx: bytes, manifest } = first;
    expect(manifest).toMatchObject({ name: 'two-tower-ranker', precision: 'fp32', seed: 42, bytes: bytes.byteLength });
    expect(manifest.sha256).toBe(sha256Hex(bytes));
    expect(manifest.version).toBe(`two-tower-s42-${manifest.sha256.slice(0, 8)}`);
    expect(manifest.inputs.map((i) => i.name)).toEqual(['user_id', 'user_features', 'item_ids', 'item_features']);
  });

  it('stores embedding tables of 10,000 users and 20,000 items by 64 as raw little-endian floats', () => {
    const model = onnx.ModelProto.decode(first.onnx);
    const tables = Object.fromEntries((model.graph?.initializer ?? []).map((t) => [t.name, t]));
    expect(tables['user_embedding']!.dims.map(Number)).toEqual([10_000, 64]);
    expect(tables['item_embedding']!.dims.map(Number)).toEqual([20_000, 64]);
    expect(tables['item_embedding']!.rawData.byteLength).toBe(20_000 * 64 * 4);
    expect(first.onnx.byteLength).toBeGreaterThan(7.6e6);
    expect(first.onnx.byteLength).toBeLessThan(7.9e6);
  });

  it('rejects a seed that is not an integer and an unknown precision', () => {
    expect(() => buildModel({ seed: 1.5 })).toThrow('seed must be an integer, got 1.5');
    expect(() => buildModel({ precision: 'fp16' as 'fp32' })).toThrow('precision must be one of fp32, int8, got fp16');
  });

  it('carries a probe set of 4 requests x 20 candidates with finite expected scores', () => {
    const probes = first.manifest.probes!;
    expect(probes).toHaveLength(4);
    for (const p of probes) {
      expect(p.request.candidates).toHaveLength(20);
      expect(p.scores).toHaveLength(20);
      expect(p.scores.every(Number.isFinite)).toBe(true);
    }
  });

  describe('int8 variant', () => {
    const int8 = buildModel({ precision: 'int8' });
    const tensors = Object.fromEntries((onnx.ModelProto.decode(int8.onnx).graph?.initializer ?? []).map((t) => [t.name, t]));

    it('stores the embedding tables as int8 with one scale per row', () => {
      const { INT8, FLOAT } = onnx.TensorProto.DataType;
      expect(tensors['item_embedding_quantized']).toMatchObject({ dataType: INT8 });
      expect(tensors['item_embedding_quantized']!.rawData.byteLength).toBe(20_000 * 64);
      expect(tensors['item_embedding_scale']).toMatchObject({ dataType: FLOAT });
      expect(tensors['item_embedding_scale']!.dims.map(Number)).toEqual([20_000]);
      expect(tensors['item_embedding']).toBeUndefined();
      expect(tensors['user_w1_quantized']!.dims.map(Number)).toEqual([80, 64]);
    });

    it('describes itself and the fp32 model it came from', () => {
      expect(int8.manifest).toMatchObject({ precision: 'int8', seed: 42, bytes: int8.onnx.byteLength, sha256: sha256Hex(int8.onnx) });
      expect(int8.manifest.sourceSha256).toBe(first.manifest.sha256);
      expect(int8.manifest.version).toBe(`two-tower-s42-int8-${int8.manifest.sha256.slice(0, 8)}`);
      expect(first.manifest.sourceSha256).toBeUndefined();
      expect(Buffer.from(buildModel({ precision: 'int8' }).onnx).equals(Buffer.from(int8.onnx))).toBe(true);
    });

    it('is what quantizing the fp32 model gives, so a replica can derive it from the fp32 bytes', () => {
      const derived = quantizeModel(first);
      expect(Buffer.from(derived.onnx).equals(Buffer.from(int8.onnx))).toBe(true);
      expect(derived.manifest).toEqual(int8.manifest);
      expect(() => quantizeModel(int8)).toThrow('only an fp32 model can be quantized, got int8');
      const notTwoTower = onnx.ModelProto.encode({ graph: { initializer: [] } }).finish();
      expect(() => quantizeModel({ onnx: notTwoTower, manifest: first.manifest })).toThrow(
        'not a two-tower fp32 model: initializer "user_embedding" is missing',
      );
    });

    it('is at least 3.5x smaller than fp32', () => {
      expect(first.onnx.byteLength / int8.onnx.byteLength).toBeGreaterThan(3.5);
    });

    it('probes the same requests with scores near, not equal to, the fp32 ones', () => {
      const fp32Probes = first.manifest.probes!;
      int8.manifest.probes!.forEach((p, i) => {
        expect(p.request).toEqual(fp32Probes[i]!.request);
        const deltas = p.scores.map((s, j) => Math.abs(s - fp32Probes[i]!.scores[j]!));
        expect(Math.max(...deltas)).toBeLessThan(0.5);
        expect(Math.max(...deltas)).toBeGreaterThan(PROBE_TOLERANCE.int8.absolute);
      });
    });
  });
});
