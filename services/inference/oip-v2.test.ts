/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INFERENCE_HEADER_CONTENT_LENGTH, rankingOf, type RankRequest } from '../common/contract';
import { writeModelDir } from '../model/build';
import { type Manifest, MODEL_FILE } from '../model/manifest';
import { Ranker } from '../model/ranker';
import { generateRequests } from '../model/requests';
import { frameBody } from './oip-binary';
import { decodeInferResponse, encodeInferRequest } from './oip-v2-client';
import { type InferenceServer, startInferenceServer } from './server';
import { flipMiddleByte } from './test-models';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oip-v2-test-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const start = (modelDir: string) =>
  startInferenceServer({ modelDir, port: 0, host: '127.0.0.1', role: 'primary', name: 'primary-a', log: () => undefined });

async function call(server: InferenceServer, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { method, ...(body === undefined ? {} : { body }), headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes };
}

const json = (r: { bytes: Buffer }) => JSON.parse(r.bytes.toString()) as any;
const INFER = '/v2/models/two-tower-ranker/infer';

describe('OIP v2 with a verified model', () => {
  let dir: string;
  let manifest: Manifest;
  let server: InferenceServer;
  let ranker: Ranker;
  const requests = generateRequests({ seed: 15, count: 3, candidates: 100 });
  const valid = requests[0]!;

  beforeAll(async () => {
    dir = join(root, 'good');
    manifest = await writeModelDir(dir);
    server = await start(dir);
    ranker = await Ranker.load(join(dir, MODEL_FILE));
  });
  afterAll(async () => {
    await server.close();
    await ranker.release();
  });

  async function infer(req: RankRequest, binaryInputs: boolean, binaryOutputs: boolean, path = INFER) {
    const { body, headers } = encodeInferRequest(req, { binaryInputs, binaryOutputs, id: 'req-1' });
    const res = await call(server, 'POST', path, body, headers);
    expect(res.status).toBe(200);
    expect(res.headers.get('server-timing')).toMatch(/^replica;dur=\d+\.\d\d$/);
    return { res, ...decodeInferResponse(res.bytes, res.headers.get(INFERENCE_HEADER_CONTENT_LENGTH) ?? undefined) };
  }

  it('is live and ready, and describes the model: tensors from the manifest, version and sha256', async () => {
    expect(json(await call(server, 'GET', '/v2/health/live'))).toEqual({ live: true });
    expect(json(await call(server, 'GET', '/v2/health/ready'))).toEqual({ ready: true });
    expect(json(await call(server, 'GET', '/v2/models/two-tower-ranker/ready'))).toEqual({ name: 'two-tower-ranker', ready: true });
    const metadata = json(await call(server, 'GET', '/v2/models/two-tower-ranker'));
    expect(metadata).toMatchObject({ name: 'two-tower-ranker', versions: [manifest.version], platform: 'onnxruntime_onnx', parameters: { model_sha256: manifest.sha256, model_precision: 'fp32' } });
    expect(metadata.inputs.map(({ name, datatype, shape }: any) => ({ name, datatype, shape }))).toEqual([
      { name: 'user_id', datatype: 'INT64', shape: [1] },
      { name: 'user_features', datatype: 'FP32', shape: [1, 16] },
      { name: 'item_ids', datatype: 'INT64', shape: [-1] },
      { name: 'item_features', datatype: 'FP32', shape: [-1, 16] },
    ]);
    expect(metadata.outputs.map(({ name, datatype, shape }: any) => ({ name, datatype, shape }))).toEqual([
      { name: 'scores', datatype: 'FP32', shape: [-1] },
      { name: 'ranking', datatype: 'INT32', shape: [-1] },
    ]);
    expect(json(await call(server, 'GET', `/v2/models/two-tower-ranker/versions/${manifest.version}`))).toEqual(metadata);
  });

  it('answers JSON tensors with exactly the in-process scores, the ranking and the model identity', async () => {
    for (const req of requests) {
      const { res, response, outputs } = await infer(req, false, false);
      const expected = await ranker.score(req);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(Float32Array.from(outputs['scores'] as number[])).toEqual(expected);
      expect(outputs['ranking']).toEqual(rankingOf(expected));
      expect(response).toMatchObject({
        model_name: 'two-tower-ranker',
        model_version: manifest.version,
        id: 'req-1',
        parameters: { model_sha256: manifest.sha256, model_precision: 'fp32', replica_name: 'primary-a', replica_role: 'primary' },
      });
    }
  });

  it('answers binary tensors byte for byte: the scores are the model output bytes, the ranking int32 little-endian', async () => {
    for (const req of requests) {
      const { res, response, outputs } = await infer(req, true, true, `/v2/models/two-tower-ranker/versions/${manifest.version}/infer`);
      const expected = await ranker.score(req);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const headerLength = Number(res.headers.get(INFERENCE_HEADER_CONTENT_LENGTH));
      const ranking = Buffer.alloc(400);
      rankingOf(expected).forEach((r, i) => ranking.writeInt32LE(r, i * 4));
      expect(res.bytes.subarray(headerLength)).toEqual(Buffer.concat([Buffer.from(expected.buffer, expected.byteOffset, 400), ranking]));
      expect(response.outputs).toEqual([
        { name: 'scores', datatype: 'FP32', shape: [100], parameters: { binary_data_size: 400 } },
        { name: 'ranking', datatype: 'INT32', shape: [100], parameters: { binary_data_size: 400 } },
      ]);
      expect(outputs['scores']).toEqual(expected);
    }
  });

  it('reads binary tensors at any offset after the JSON part, aligned or not', async () => {
    const expected = await ranker.score(valid);
    const { body, headers } = encodeInferRequest(valid, { binaryOutputs: false });
    const length = Number(headers[INFERENCE_HEADER_CONTENT_LENGTH]);
    for (const pad of [0, 1, 2, 3, 5]) {
      // JSON whitespace before the binary part moves every tensor's offset by `pad` bytes.
      const padded = Buffer.concat([body.subarray(0, length), Buffer.alloc(pad, 0x20), body.subarray(length)]);
      const res = await call(server, 'POST', INFER, padded, { ...headers, [INFERENCE_HEADER_CONTENT_LENGTH]: String(length + pad) });
      expect(res.status).toBe(200);
      expect(Float32Array.from(json(res).outputs[0].data)).toEqual(expected);
    }
  });

  it('takes JSON and binary inputs mixed in one request, and binary_data_output with a per-output exception', async () => {
    const jsonTensors = JSON.parse(encodeInferRequest(valid, { binaryInputs: false }).body.toString());
    const binary = encodeInferRequest(valid);
    const binaryHeader = JSON.parse(binary.body.subarray(0, Number(binary.headers[INFERENCE_HEADER_CONTENT_LENGTH])).toString());
    const itemBytes = binary.body.subarray(binary.body.length - (100 * 8 + 100 * 64));
    const request = {
      parameters: { binary_data_output: true },
      inputs: [jsonTensors.inputs[0], binaryHeader.inputs[2], jsonTensors.inputs[1], binaryHeader.inputs[3]],
      outputs: [{ name: 'scores' }, { name: 'ranking', parameters: { binary_data: false } }],
    };
    const { body, headerLength } = frameBody(JSON.stringify(request), [itemBytes]);
    const res = await call(server, 'POST', INFER, body, { [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength) });
    expect(res.status).toBe(200);
    const { response, outputs } = decodeInferResponse(res.bytes, res.headers.get(INFERENCE_HEADER_CONTENT_LENGTH)!);
    const expected = await ranker.score(valid);
    expect(outputs['scores']).toEqual(expected);
    expect(response.outputs[1]!.data).toEqual(rankingOf(expected));
  });

  it('returns only the outputs asked for, nested JSON data read row-major', async () => {
    const request = JSON.parse(encodeInferRequest(valid, { binaryInputs: false }).body.toString());
    const features = request.inputs[3];
    features.data = Array.from({ length: 100 }, (_, i) => features.data.slice(i * 16, i * 16 + 16));
    request.outputs = [{ name: 'ranking' }];
    const res = await call(server, 'POST', INFER, JSON.stringify(request));
    expect(res.status).toBe(200);
    expect(json(res).outputs).toEqual([{ name: 'ranking', datatype: 'INT32', shape: [100], data: rankingOf(await ranker.score(valid)) }]);
  });

  /** A binary request with one change to its JSON part, optionally other binary bytes or header length. */
  function binaryWith(change: (header: any) => void, binary?: (bytes: Buffer) => Buffer, length?: (n: number) => string) {
    const { body, headers } = encodeInferRequest(valid);
    const n = Number(headers[INFERENCE_HEADER_CONTENT_LENGTH]);
    const header = JSON.parse(body.subarray(0, n).toString());
    change(header);
    const framed = frameBody(JSON.stringify(header), [binary ? binary(body.subarray(n)) : body.subarray(n)]);
    return { body: framed.body, headers: { [INFERENCE_HEADER_CONTENT_LENGTH]: length ? length(framed.body.length) : String(framed.headerLength) } };
  }
  const setInput = (i: number, patch: object) => (h: any) => Object.assign(h.inputs[i], patch);
  const bad: [string, ReturnType<typeof binaryWith>, RegExp][] = [
    ['an unknown input', binaryWith(setInput(0, { name: 'uid' })), /^invalid_request: inputs\[0\]\.name "uid" is not an input of model "two-tower-ranker", whose inputs are user_id/],
    ['a wrong datatype', binaryWith(setInput(2, { datatype: 'INT32' })), /^invalid_tensor: inputs\[2\] \(item_ids\) must be INT64, got datatype "INT32"/],
    ['a shape that disagrees with the size', binaryWith(setInput(3, { shape: [100, 15] })), /binary_data_size is 6400, but shape \[100,15\] of FP32 needs 6000 bytes/],
    ['a shape the model does not take', binaryWith((h) => Object.assign(h.inputs[3], { shape: [50, 32] })), /inputs\[3\] \(item_features\) has shape \[50,32\]; for 100 candidate\(s\) the model takes \[100,16\]/],
    ['a binary_data_size past the body', binaryWith(setInput(3, { shape: [101, 16], parameters: { binary_data_size: 6464 } })), /needs 6464 bytes of binary data at offset 872, but only 6400 follow/],
    ['bytes left over', binaryWith(() => undefined, (b) => Buffer.concat([b, Buffer.alloc(4)])), /^invalid_tensor: 4 bytes follow the JSON part beyond the 7272/],
    ['a header length past the body', binaryWith(() => undefined, undefined, (n) => String(n + 1)), /^invalid_header: inference-header-content-length must be an integer in 0\.\.\d+/],
    ['a header length that is not a number', binaryWith(() => undefined, undefined, () => 'ten'), /got "ten"/],
    ['an item id past the table', binaryWith(() => undefined, (b) => (b.writeBigInt64LE(20_000n, 72 + 8 * 7), b)), /inputs\[2\] \(item_ids\)\[7\] must be an id in 0\.\.19999, got 20000/],
    ['a NaN feature', binaryWith(() => undefined, (b) => (b.writeFloatLE(Number.NaN, 8 + 4 * 3), b)), /inputs\[1\] \(user_features\)\[3\] must be a finite float32, got NaN/],
    ['a missing input', binaryWith((h) => h.inputs.splice(0, 1), (b) => b.subarray(8)), /^invalid_request: inputs lacks user_id/],
    ['an unknown output', binaryWith((h) => h.outputs.push({ name: 'logits' })), /outputs\[2\] must name an output of model "two-tower-ranker" \(scores, ranking\)/],
    ['data and binary_data_size both', binaryWith(setInput(0, { data: [1] })), /inputs\[0\] \(user_id\) has both data and parameters\.binary_data_size/],
  ];
  it.each(bad)('answers 400 {"error": ...} for %s', async (_what, { body, headers }, message) => {
    const res = await call(server, 'POST', INFER, body, headers);
    expect(res.status).toBe(400);
    expect(Object.keys(json(res))).toEqual(['error']);
    expect(json(res).error).toMatch(message);
  });

  it('answers 404 for another model or version, another path, and 405 for a wrong method, all in the v2 error shape', async () => {
    const { body, headers } = encodeInferRequest(valid);
    const other = await call(server, 'POST', '/v2/models/resnet/infer', body, headers);
    expect(other.status).toBe(404);
    expect(json(other).error).toBe('model_not_found: no model named "resnet": this server serves "two-tower-ranker"');
    const version = await call(server, 'GET', '/v2/models/two-tower-ranker/versions/v0/ready');
    expect(version.status).toBe(404);
    expect(json(version).error).toMatch(/^version_not_found: model "two-tower-ranker" has no version "v0"/);
    expect(json(await call(server, 'GET', '/v2/repository/index'))).toEqual({ error: 'not_found: no route for GET /v2/repository/index' });
    const method = await call(server, 'GET', INFER);
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('POST');
    expect(json(method).error).toMatch(/^method_not_allowed: /);
  });
});

describe('OIP v2 readiness reasons', () => {
  it('keeps the reason a model is refused in the 503 of every v2 route that needs a model', async () => {
    const dir = join(root, 'flipped');
    await writeModelDir(dir);
    await writeFile(join(dir, MODEL_FILE), flipMiddleByte(await readFile(join(dir, MODEL_FILE))));
    const server = await start(dir);
    try {
      expect((await call(server, 'GET', '/v2/health/live')).status).toBe(200);
      const { body, headers } = encodeInferRequest(generateRequests({ seed: 1, count: 1, candidates: 3 })[0]!);
      for (const [method, path] of [['GET', '/v2/health/ready'], ['GET', '/v2/models/two-tower-ranker/ready'], ['GET', '/v2/models/two-tower-ranker'], ['POST', INFER]] as const) {
        const res = await call(server, method, path, method === 'POST' ? body : undefined, method === 'POST' ? headers : {});
        expect([path, res.status]).toEqual([path, 503]);
        expect(json(res).error).toMatch(/^weights_checksum_mismatch: sha256 of .*model\.onnx is [0-9a-f]{64} but the manifest says/);
      }
    } finally {
      await server.close();
    }
  });
});
