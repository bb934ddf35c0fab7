/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
import { flipRegion } from '../model/corrupt';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_BODY_BYTES, type RankRequest, rankingOf } from '../common/contract';
import { writeModelDir } from '../model/build';
import { MANIFEST_FILE, MODEL_FILE, sha256Hex } from '../model/manifest';
import { Ranker } from '../model/ranker';
import { generateRequests } from '../model/requests';
import { type InferenceServer, startInferenceServer } from './server';
import { withNaNWeight, writeRawModelDir } from './test-models';
import { buildModel } from '../model/build';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'inference-test-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function startOn(modelDir: string, verify = true): Promise<{ server: InferenceServer; logs: string[] }> {
  const logs: string[] = [];
  const server = await startInferenceServer({
    modelDir,
    verify,
    port: 0,
    host: '127.0.0.1',
    role: 'standby',
    name: 'standby-a',
    log: (msg, fields) => logs.push(JSON.stringify({ msg, ...fields })),
  });
  return { server, logs };
}

async function call(server: InferenceServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe('inference server with a verified model', () => {
  let dir: string;
  let server: InferenceServer;
  let ranker: Ranker;
  const requests = generateRequests({ seed: 9, count: 3, candidates: 100 });
  const valid = requests[0]!;

  beforeAll(async () => {
    dir = join(root, 'good');
    await writeModelDir(dir);
    ({ server } = await startOn(dir));
    ranker = await Ranker.load(join(dir, MODEL_FILE));
  });
  afterAll(async () => {
    await server.close();
    await ranker.release();
  });

  it('ranks candidates with exactly the in-process scores', async () => {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
    for (const req of requests) {
      const { status, json, headers } = await call(server, 'POST', '/v1/rank', req);
      const expected = Array.from(await ranker.score(req));
      expect(status).toBe(200);
      // Its own time on the request, for a gateway to pass on (Server-Timing).
      expect(headers.get('server-timing')).toMatch(/^replica;dur=\d+\.\d\d$/);
      expect(json.scores).toEqual(expected);
      expect(json.ranking).toEqual(rankingOf(expected));
      expect(json.model).toEqual({ version: manifest.version, sha256: manifest.sha256, precision: 'fp32' });
      expect(json.replica).toEqual({ name: 'standby-a', role: 'standby' });
    }
  });

  it('is live and ready, and describes its model', async () => {
    expect(server.readiness()).toEqual({ ready: true });
    expect(await call(server, 'GET', '/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
    const ready = await call(server, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 200, json: { status: 'ready', model: { name: 'two-tower-ranker', precision: 'fp32' } } });
    const model = await call(server, 'GET', '/v1/model?verbose=1');
    expect(model.status).toBe(200);
    expect(model.json).toMatchObject({ ready: true, model: { name: 'two-tower-ranker', seed: 42, sha256: ready.json.model.sha256 } });
  });

  const withCandidate = (i: number, patch: object): RankRequest => ({
    ...valid,
    candidates: valid.candidates.map((c, j) => (j === i ? { ...c, ...patch } : c)),
  });
  const malformed: [string, unknown, string | undefined][] = [
    ['a JSON array', [valid], undefined],
    ['userId as a string', { ...valid, userId: '7' }, 'userId'],
    ['userId past the user table', { ...valid, userId: 10_000 }, 'userId'],
    ['userId missing', { ...valid, userId: undefined }, 'userId'],
    ['15 user features', { ...valid, userFeatures: valid.userFeatures.slice(1) }, 'userFeatures'],
    ['no candidates', { ...valid, candidates: [] }, 'candidates'],
    ['1001 candidates', { ...valid, candidates: Array(1001).fill(valid.candidates[0]) }, 'candidates'],
    ['candidates as an object', { ...valid, candidates: {} }, 'candidates'],
    ['a null candidate', { ...valid, candidates: [valid.candidates[0], null] }, 'candidates[1]'],
    ['17 features', withCandidate(3, { features: [...valid.candidates[3]!.features, 0] }), 'candidates[3].features'],
    ['a string feature', withCandidate(2, { features: ['0.1', ...valid.candidates[2]!.features.slice(1)] }), 'candidates[2].features[0]'],
    ['a feature past float32', withCandidate(5, { features: [...valid.candidates[5]!.features.slice(1), 1e39] }), 'candidates[5].features[15]'],
    ['itemId past the item table', withCandidate(4, { itemId: 20_000 }), 'candidates[4].itemId'],
    ['a negative itemId', withCandidate(0, { itemId: -1 }), 'candidates[0].itemId'],
    ['a fractional itemId', withCandidate(1, { itemId: 1.5 }), 'candidates[1].itemId'],
  ];
  it.each(malformed)('answers 400 invalid_request naming the field for %s', async (_what, body, path) => {
    const { status, json } = await call(server, 'POST', '/v1/rank', body);
    expect(status).toBe(400);
    expect(json.error.code).toBe('invalid_request');
    expect(json.error.path).toBe(path);
    if (path) expect(json.error.message).toMatch(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')} `));
  });

  it('treats a number that overflows to Infinity as invalid', async () => {
    const text = JSON.stringify(valid).replace(/"userFeatures":\[[^,]+,[^,]+,/, '"userFeatures":[0.5,1e999,');
    const { status, json } = await call(server, 'POST', '/v1/rank', text);
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: 'invalid_request', path: 'userFeatures[1]' });
  });

  it('answers 400 invalid_json for a body that is not JSON', async () => {
    const { status, json } = await call(server, 'POST', '/v1/rank', '{"userId": 1,');
    expect(status).toBe(400);
    expect(json.error.code).toBe('invalid_json');
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/v1/rank`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // Chunked, so the limit is enforced while reading rather than from content-length.
      req.write(`{"pad":"${'x'.repeat(MAX_BODY_BYTES)}`);
      req.end('"}');
    });
    expect(status).toBe(413);
    const declared = await call(server, 'POST', '/v1/rank', `"${'x'.repeat(MAX_BODY_BYTES)}"`);
    expect(declared).toMatchObject({ status: 413, json: { error: { code: 'body_too_large' } } });
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    expect(await call(server, 'GET', '/v3/rank')).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    const wrong = await call(server, 'GET', '/v1/rank');
    expect(wrong).toMatchObject({ status: 405, json: { error: { code: 'method_not_allowed' } } });
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await call(server, 'POST', '/healthz', {})).toMatchObject({ status: 405 });
  });

  it.each([
    ['bytes that are not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400, 'bad_http'],
    ['conflicting content-length headers', 'POST /v1/rank HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n{}', 400, 'bad_http'],
    ['headers over the size limit', `GET /healthz HTTP/1.1\r\nx-pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
  ])('answers %s with a JSON error too', async (_what, raw, status, code) => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write(raw));
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(text).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code } });
  });

  it('keeps serving after bad requests', async () => {
    expect((await call(server, 'POST', '/v1/rank', valid)).status).toBe(200);
  });

  it('exports Prometheus metrics: requests and latency by route and status, and the model served', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
    expect(text).toMatch(/inference_http_requests_total\{route="\/v1\/rank",method="POST",status="200"\} [1-9]/);
    expect(text).toMatch(/inference_http_requests_total\{route="\/v1\/rank",method="POST",status="400"\} [1-9]/);
    expect(text).toMatch(/inference_http_requests_total\{route="unmatched",method="GET",status="404"\} [1-9]/);
    expect(text).toMatch(/inference_http_request_duration_seconds_bucket\{le="0\.001",route="\/v1\/rank",method="POST",status="200"\} \d+/);
    expect(text).toContain(`inference_model_info{version="${manifest.version}",sha256="${manifest.sha256}",precision="fp32"} 1`);
    expect(text).toContain('inference_model_ready 1');
    expect(text).not.toContain('inference_model_sync_lag_seconds 0');
  });

  it('finishes a request in flight when closed, and stops accepting new ones', async () => {
    const other = (await startOn(dir)).server;
    const body = JSON.stringify(valid);
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${other.url}/v1/rank`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      // Half the body now, the rest after close() has begun: the request is in flight during shutdown.
      req.write(body.slice(0, 100));
      setTimeout(() => req.end(body.slice(100)), 200);
    });
    await new Promise((r) => setTimeout(r, 50));
    const closed = other.close();
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
    const res = await answered;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).scores).toHaveLength(100);
    await closed;
  });

  it('on close, tells the client of a request in flight to close its keep-alive connection, so it cannot hold shutdown', async () => {
    // A gateway under load sends its next request on the same connection as soon as an answer arrives. Answered
    // with keep-alive, such a connection was rarely idle when closeIdleConnections() ran, and held shutdown until
    // the grace period cut it (2 s), seen as a primary that took 2 s to exit in primary-restart.
    const other = (await startOn(dir)).server;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = JSON.stringify(valid);
    const post = (beforeEnd?: () => void) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = request(`${other.url}/v1/rank`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        });
        req.on('error', reject);
        if (!beforeEnd) return void req.end(body);
        req.write(body.slice(0, 100));
        setTimeout(() => { beforeEnd(); req.end(body.slice(100)); }, 50);
      });
    try {
      expect(await post()).toEqual({ status: 200, connection: 'keep-alive' });
      let closed: Promise<void> | undefined;
      expect(await post(() => (closed = other.close()))).toEqual({ status: 200, connection: 'close' });
      await closed;
    } finally {
      agent.destroy();
    }
  });
});

describe('inference server with an unverified model', () => {
  it('stays up but refuses to rank when model.onnx does not match the manifest checksum', async () => {
    const dir = join(root, 'flipped');
    await writeModelDir(dir);
    const modelPath = join(dir, MODEL_FILE);
    const bytes = await readFile(modelPath);
    const middle = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    await writeFile(modelPath, bytes);

    const { server, logs } = await startOn(dir);
    try {
      expect(server.readiness()).toMatchObject({ ready: false, reason: { code: 'weights_checksum_mismatch' } });
      expect(await call(server, 'GET', '/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
      const ready = await call(server, 'GET', '/readyz');
      expect(ready).toMatchObject({ status: 503, json: { error: { code: 'weights_checksum_mismatch' } } });
      expect(ready.json.error.message).toContain(sha256Hex(bytes));
      const [req] = generateRequests({ seed: 1, count: 1, candidates: 5 });
      expect(await call(server, 'POST', '/v1/rank', req)).toMatchObject({ status: 503, json: { error: { code: 'weights_checksum_mismatch' } } });
      expect(await call(server, 'GET', '/v1/model')).toMatchObject({ status: 200, json: { ready: false, reason: { code: 'weights_checksum_mismatch' } } });
      expect(logs.some((l) => l.includes('weights_checksum_mismatch') && l.includes('not verified'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('with verification off (negative control), serves the damaged weights under the manifest\'s identity', async () => {
    const dir = join(root, 'flipped-unverified');
    const manifest = await writeModelDir(dir);
    const modelPath = join(dir, MODEL_FILE);
    await writeFile(modelPath, flipRegion(await readFile(modelPath), 65_536));
    const { server } = await startOn(dir, false);
    try {
      expect(server.readiness()).toEqual({ ready: true });
      const [req] = generateRequests({ seed: 1, count: 1, candidates: 5 });
      expect(await call(server, 'POST', '/v1/rank', req)).toMatchObject({ status: 200, json: { model: { sha256: manifest.sha256 } } });
    } finally {
      await server.close();
    }
  });

  it('reports model_unparseable when verified bytes are not a model', async () => {
    const dir = join(root, 'junk');
    const manifest = await writeModelDir(dir);
    const junk = Buffer.from('this is not an onnx model');
    await writeFile(join(dir, MODEL_FILE), junk);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, sha256: sha256Hex(junk), bytes: junk.length }));
    const { server } = await startOn(dir);
    try {
      expect(await call(server, 'GET', '/readyz')).toMatchObject({ status: 503, json: { error: { code: 'model_unparseable' } } });
    } finally {
      await server.close();
    }
  });

  it('reports model_unparseable, naming the field, when the manifest maps the model onto inputs it lacks', async () => {
    const dir = join(root, 'mismapped');
    const manifest = await writeModelDir(dir);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, io: { ...manifest.io, inputs: { ...manifest.io.inputs, userId: 'uid' } } }));
    const { server } = await startOn(dir);
    try {
      const ready = await call(server, 'GET', '/readyz');
      expect(ready).toMatchObject({ status: 503, json: { error: { code: 'model_unparseable' } } });
      expect(ready.json.error.message).toContain('as its manifest describes it: model input(s) "user_id" carry no request field');
    } finally {
      await server.close();
    }
  });

  it('reports model_probe_failed when the weights match their checksum but compute NaN', async () => {
    const dir = join(root, 'nan');
    await writeModelDir(dir);
    const nan = withNaNWeight(buildModel());
    await writeRawModelDir(dir, nan.onnx, nan.manifest);
    const { server, logs } = await startOn(dir);
    try {
      const ready = await call(server, 'GET', '/readyz');
      expect(ready).toMatchObject({ status: 503, json: { error: { code: 'model_probe_failed' } } });
      expect(ready.json.error.message).toMatch(/fails its probe set: probe 0 candidate 0 scored NaN/);
      expect(await call(server, 'GET', '/v1/model/weights')).toMatchObject({ status: 503, json: { error: { code: 'model_probe_failed' } } });
      expect(logs.some((l) => l.includes('model_probe_failed'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('reports manifest_invalid naming the field when the manifest is wrong', async () => {
    const dir = join(root, 'bad-manifest');
    const manifest = await writeModelDir(dir);
    await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, precision: 'fp16' }));
    const { server } = await startOn(dir);
    try {
      const ready = await call(server, 'GET', '/readyz');
      expect(ready).toMatchObject({ status: 503, json: { error: { code: 'manifest_invalid' } } });
      expect(ready.json.error.message).toContain('field "precision"');
    } finally {
      await server.close();
    }
  });
});
