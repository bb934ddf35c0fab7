/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { onnx } from 'onnx-proto';
import { buildModel } from './build';
import { checkProbes } from './probes';
import { Ranker } from './ranker';

/** The model with one float of `tensor` replaced: a weight that still parses but computes something else. */
function withWeight(bytes: Uint8Array, tensor: string, index: number, value: number): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const t = model.graph!.initializer!.find((i) => i.name === tensor)!;
  const raw = Buffer.from(t.rawData!);
  raw.writeFloatLE(value, index * 4);
  t.rawData = raw;
  return onnx.ModelProto.encode(model).finish();
}

describe.each(['fp32', 'int8'] as const)('probe set of the %s model', (precision) => {
  const built = buildModel({ precision });
  const probes = built.manifest.probes!;

  async function check(bytes: Uint8Array): Promise<string | undefined> {
    const ranker = await Ranker.load(bytes);
    try {
      return await checkProbes((req) => ranker.score(req), probes, precision);
    } finally {
      await ranker.release();
    }
  }

  it('passes on onnxruntime: the graph computes what the reference forward pass says', async () => {
    expect(await check(built.onnx)).toBeUndefined();
  });

  it('fails, naming probe and candidate, when a weight is NaN or Infinity', async () => {
    // Biases are float32 in both variants.
    expect(await check(withWeight(built.onnx, 'user_b1', 3, NaN))).toMatch(/^probe 0 candidate 0 scored NaN where -?\d/);
    expect(await check(withWeight(built.onnx, 'item_b2', 0, Infinity))).toMatch(/scored (-?Infinity|NaN)/);
  });

  it('fails when a weight moves by a little', async () => {
    expect(await check(withWeight(built.onnx, 'user_b2', 5, 0.06))).toMatch(new RegExp(`tolerance .* for ${precision}\\)$`));
  });
});
