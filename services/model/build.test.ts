import { onnx } from 'onnx-proto';
import { buildModel } from './build';
import { sha256Hex } from './manifest';

describe('buildModel', () => {
  const first = buildModel();

  it('gives byte-identical models for the same seed', () => {
    expect(Buffer.from(buildModel({ seed: 42 }).onnx).equals(Buffer.from(first.onnx))).toBe(true);
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

  it('rejects a seed that is not an integer', () => {
    expect(() => buildModel({ seed: 1.5 })).toThrow('seed must be an integer, got 1.5');
  });
});
