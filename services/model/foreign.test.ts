/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
// A model from elsewhere: the two-tower model rewritten with other input and output names and shapes, as an
// exporter would have written it. Mapped by `drill model manifest` and served, it must score exactly like the original.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { FEATURE_DIM } from '../common/contract';
import { startInferenceServer } from '../inference/server';
import { buildModel } from './build';
import { isModelMappingError, writeForeignModelDir } from './foreign';
import { exportedElsewhere, rewriteModel, type Graph } from './foreign-fixture';
import { readModelDir } from './manifest';
import { Ranker } from './ranker';
import { generateRequests } from './requests';

const { DataType } = onnx.TensorProto;
const original = buildModel();
const requests = generateRequests({ seed: 5, count: 3, candidates: 50 });

/** The original graph, changed by `edit` and re-encoded. */
const rewrite = (edit: (graph: Graph) => void): Uint8Array => rewriteModel(original.onnx, edit);

let root: string;
let reference: Ranker;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'foreign-model-'));
  reference = await Ranker.load(original.onnx);
});
afterAll(async () => {
  await reference.release();
  await rm(root, { recursive: true, force: true });
});

async function modelFile(name: string, bytes: Uint8Array): Promise<string> {
  const file = join(root, `${name}.onnx`);
  await writeFile(file, bytes);
  return file;
}

async function mappingError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isModelMappingError(error)) throw new Error(`expected a ModelMappingError, got ${String(error)}`);
  return error.message;
}

describe('drill model manifest', () => {
  it('maps renamed inputs and outputs by name, and the service serves exactly the original scores', async () => {
    const file = await modelFile('exported-ranker', rewrite((g) => exportedElsewhere(g)));
    const { dir, manifest } = await writeForeignModelDir(file, { out: join(root, 'exported') });

    expect(manifest).toMatchObject({ name: 'exported-ranker', precision: 'fp32', bytes: (await readFile(file)).byteLength });
    expect(manifest.seed).toBeUndefined();
    expect(manifest.version).toBe(`exported-ranker-${manifest.sha256.slice(0, 8)}`);
    expect(manifest.io).toEqual({
      inputs: { userId: 'uid', userFeatures: 'u_feats', itemIds: 'cand_ids', itemFeatures: 'cand_feats' },
      scores: 'out_score',
      // Read from the rows of the embedding tables the ids index (uid through a Reshape).
      vocab: { userId: 10_000, itemIds: 20_000 },
    });
    expect(manifest.inputs).toContainEqual({ name: 'uid', type: 'int64', shape: [1, 1] });
    expect(manifest.outputs).toEqual([{ name: 'out_score', type: 'float32', shape: ['N', 1] }]);
    expect(await readModelDir(dir)).toEqual({ manifest, modelPath: join(dir, 'model.onnx') });

    const server = await startInferenceServer({ modelDir: dir, port: 0, host: '127.0.0.1', role: 'primary', name: 'p', log: () => undefined });
    try {
      expect(server.readiness()).toEqual({ ready: true });
      for (const req of requests) {
        const res = await fetch(`${server.url}/v1/rank`, { method: 'POST', body: JSON.stringify(req) });
        const body = (await res.json()) as { scores: number[]; model: { version: string } };
        expect(res.status).toBe(200);
        expect(body.scores).toEqual(Array.from(await reference.score(req)));
        expect(body.model.version).toBe(manifest.version);
      }
      const outside = await fetch(`${server.url}/v1/rank`, { method: 'POST', body: JSON.stringify({ ...requests[0], userId: 10_000 }) });
      expect(outside.status).toBe(400);
      expect(await outside.json()).toMatchObject({ error: { path: 'userId', message: 'userId must be an integer id in 0..9999, got 10000' } });
    } finally {
      await server.close();
    }
  });

  it('names an input it cannot map, lists the inputs and the flags; --map fixes it', async () => {
    const file = await modelFile('opaque', rewrite((g) => exportedElsewhere(g, 'x7')));
    const message = await mappingError(writeForeignModelDir(file, { out: join(root, 'opaque') }));
    expect(message).toContain(`${file}: cannot tell which request field input "x7" carries`);
    expect(message).toContain('model inputs:   uid (int64 [1,1]), x7 (float32 [1,16]), cand_ids (int64 [N]), cand_feats (float32 [N,16])');
    expect(message).toContain('--map ROLE=NAME');

    const { manifest } = await writeForeignModelDir(file, { out: join(root, 'opaque'), map: { userFeatures: 'x7' } });
    expect(manifest.io.inputs.userFeatures).toBe('x7');
  });

  it('says what does not fit when --map points an input at a field of another shape', async () => {
    const file = await modelFile('mismapped', rewrite((g) => exportedElsewhere(g)));
    const message = await mappingError(writeForeignModelDir(file, { out: join(root, 'mismapped'), map: { itemFeatures: 'u_feats', userFeatures: 'cand_feats' } }));
    expect(message).toContain('needs exactly one symbolic (candidate) dimension, and [1,16] has 0');
  });

  it('asks for --vocab when it cannot see the embedding table an id input indexes', async () => {
    // The user table as a Constant node rather than an initializer.
    const file = await modelFile('constant-table', rewrite((g) => {
      const table = g.initializer!.find((t) => t.name === 'user_embedding')!;
      g.initializer = g.initializer!.filter((t) => t !== table);
      g.node!.unshift({ name: 'user_embedding', opType: 'Constant', input: [], output: ['user_embedding'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: table }] });
    }));
    const message = await mappingError(writeForeignModelDir(file, { out: join(root, 'constant-table') }));
    expect(message).toContain('cannot find the embedding table that input "user_id" (userId) indexes; give its rows with --vocab userId=ROWS');

    const { manifest } = await writeForeignModelDir(file, { out: join(root, 'constant-table'), vocab: { userId: 10_000 } });
    expect(manifest.io.vocab).toEqual({ userId: 10_000, itemIds: 20_000 });
  });

  it('maps a model that takes only some of the fields', async () => {
    // No user features: the model holds them as a constant (zeros) instead of taking them as an input.
    const zeros = { name: 'user_features', dims: [1, FEATURE_DIM], dataType: DataType.FLOAT, rawData: new Uint8Array(4 * FEATURE_DIM) };
    const file = await modelFile('no-user-features', rewrite((g) => {
      g.input = g.input!.filter((i) => i.name !== 'user_features');
      g.initializer!.push(zeros);
    }));
    const { dir, manifest } = await writeForeignModelDir(file, { out: join(root, 'subset') });
    expect(manifest.io.inputs).toEqual({ userId: 'user_id', itemIds: 'item_ids', itemFeatures: 'item_features' });

    const ranker = await Ranker.load(join(dir, 'model.onnx'), manifest.io);
    try {
      const req = requests[0]!;
      const withoutUserFeatures = { ...req, userFeatures: new Array<number>(FEATURE_DIM).fill(0) };
      expect(await ranker.score(req)).toEqual(await reference.score(withoutUserFeatures));
    } finally {
      await ranker.release();
    }
  });

  it('refuses a file onnxruntime cannot load', async () => {
    const file = await modelFile('garbage', new Uint8Array([1, 2, 3, 4]));
    expect(await mappingError(writeForeignModelDir(file))).toMatch(/^cannot load .*garbage\.onnx with onnxruntime: /);
  });
});
