// The gateway on the Open Inference Protocol v2: infer requests get the same failover as /v1/rank, and a 2xx
// answer is passed on only when it decodes, comes from the model the path names, has one finite value per
// candidate in every output and names an allowed model.
import { INFERENCE_HEADER_CONTENT_LENGTH, type RankRequest } from '../common/contract';
import { encodeInferRequest } from '../inference/oip-v2-client';
import { decodeInferResponse } from '../inference/oip-v2-response';
import { FAKE_MODEL_NAME, FAKE_MODEL_SHA256, type FakeReplica, inferAnswer, scoresForCount, startFakeReplica } from './fake-replica';
import { problemWithInferAnswer } from './rank-answer';
import { startRouter, type StartedRouter } from './server';

const CANDIDATES = 5;
const rankRequest: RankRequest = {
  userId: 7,
  userFeatures: Array.from({ length: 16 }, (_, i) => i / 16),
  candidates: Array.from({ length: CANDIDATES }, (_, i) => ({ itemId: 11 * (i + 1), features: Array.from({ length: 16 }, () => 0.5) })),
};
const INFER = `/v2/models/${FAKE_MODEL_NAME}/infer`;

let primary: FakeReplica;
let standby: FakeReplica;
let router: StartedRouter;

beforeEach(async () => {
  [primary, standby] = await Promise.all([startFakeReplica('primary'), startFakeReplica('standby')]);
  router = await startRouter({ primary: primary.url, standby: standby.url, port: 0, host: '127.0.0.1', attemptTimeoutMs: 150, requestTimeoutMs: 450, probeIntervalMs: 20 });
});

afterEach(async () => {
  await router.close();
  await Promise.all([primary.close(), standby.close()]);
});

async function infer(opts: { binary?: boolean; path?: string; body?: Buffer; headers?: Record<string, string> } = {}) {
  const encoded = encodeInferRequest(rankRequest, { binaryInputs: opts.binary ?? true, binaryOutputs: opts.binary ?? true });
  const res = await fetch(`${router.url}${opts.path ?? INFER}`, { method: 'POST', body: opts.body ?? encoded.body, headers: opts.headers ?? encoded.headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  const headerLength = res.headers.get(INFERENCE_HEADER_CONTENT_LENGTH) ?? undefined;
  return { status: res.status, servedBy: res.headers.get('x-served-by'), failover: res.headers.get('x-failover'), bytes, headerLength };
}

const scoresOf = (res: { bytes: Buffer; headerLength?: string }) => Array.from(decodeInferResponse(res.bytes, res.headerLength).outputs['scores']!);

describe('gateway, OIP v2 infer', () => {
  it('forwards a binary infer request to the primary with its path and header length, and passes the binary answer on unchanged', async () => {
    const res = await infer();
    expect([res.status, res.servedBy, res.failover]).toEqual([200, 'primary', 'none']);
    expect(res.headerLength).toBeDefined();
    expect(scoresOf(res)).toEqual(Array.from(Float32Array.from(scoresForCount(CANDIDATES))));
    const sent = encodeInferRequest(rankRequest);
    expect(primary.v2Requests).toEqual([{ method: 'POST', path: INFER, headerLength: sent.headers[INFERENCE_HEADER_CONTENT_LENGTH] }]);
    expect(standby.v2Requests).toEqual([]);
  });

  it('routes the versioned path and a JSON-tensor request alike', async () => {
    const path = `/v2/models/${FAKE_MODEL_NAME}/versions/v1/infer`;
    expect(await infer({ path, binary: false })).toMatchObject({ status: 200, servedBy: 'primary' });
    expect(primary.v2Requests).toEqual([{ method: 'POST', path, headerLength: undefined }]);
  });

  it.each([
    ['a NaN score', (n: number) => ({ scores: scoresForCount(n).map((s, i) => (i === 2 ? Number.NaN : s)), sha256: FAKE_MODEL_SHA256 })],
    ['one score too few', (n: number) => ({ scores: scoresForCount(n - 1), sha256: FAKE_MODEL_SHA256 })],
    ['a model it did not start with', (n: number) => ({ scores: scoresForCount(n), sha256: 'cd'.repeat(32) })],
    ['another model name', (n: number) => ({ scores: scoresForCount(n), sha256: FAKE_MODEL_SHA256, model: 'other-model' })],
  ])('fails over to the standby when the primary answers 200 with %s', async (_why, answer) => {
    primary.inferBehaviour = (n, res) => inferAnswer(res, answer(n));
    const res = await infer();
    expect([res.status, res.servedBy, res.failover]).toEqual([200, 'standby', 'retry']);
    expect(scoresOf(res)).toEqual(Array.from(Float32Array.from(scoresForCount(CANDIDATES))));
  });

  it('fails over on a crashed primary, then answers 503 in the protocol\'s error shape when both are gone', async () => {
    await primary.close();
    expect(await infer()).toMatchObject({ status: 200, servedBy: 'standby', failover: 'retry' });
    await standby.close();
    const res = await infer();
    expect(res.status).toBe(503);
    expect(JSON.parse(res.bytes.toString())).toEqual({ error: expect.stringMatching(/^no_healthy_replica: /) });
  });

  it('refuses a request whose JSON part is not JSON with 400 in the protocol\'s shape, without contacting a replica', async () => {
    const res = await infer({ body: Buffer.from('{"inputs": [oops'), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.bytes.toString())).toEqual({ error: expect.stringMatching(/^invalid_json: /) });
    const long = await infer({ body: Buffer.from('{}'), headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER_CONTENT_LENGTH]: '99' } });
    expect(JSON.parse(long.bytes.toString())).toEqual({ error: expect.stringMatching(/^invalid_header: /) });
    expect([primary.v2Requests.length, standby.v2Requests.length]).toEqual([0, 0]);
  });

  it('forwards a path that is not valid percent-encoding instead of failing on it', async () => {
    primary.inferBehaviour = (n, res) => inferAnswer(res, { scores: scoresForCount(n), sha256: FAKE_MODEL_SHA256, model: '%E0' });
    expect(await infer({ path: '/v2/models/%E0/infer' })).toMatchObject({ status: 200, servedBy: 'primary', failover: 'none' });
  });

  it('answers v2 health itself and passes model metadata through to a replica', async () => {
    expect(await (await fetch(`${router.url}/v2/health/live`)).json()).toEqual({ live: true });
    expect(await (await fetch(`${router.url}/v2/health/ready`)).json()).toEqual({ ready: true });
    const metadata = await fetch(`${router.url}/v2/models/${FAKE_MODEL_NAME}`);
    expect([metadata.status, metadata.headers.get('x-served-by')]).toEqual([200, 'primary']);
    expect(await metadata.json()).toEqual({ name: FAKE_MODEL_NAME });
    expect(primary.v2Requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v2/models/${FAKE_MODEL_NAME}`]);
  });
});

describe('gateway in front of another OIP v2 server', () => {
  it('probes the readiness route it is given, admits a replica whose readiness names no model, and judges its answers by the model they claim', async () => {
    await router.close();
    // Counted from here: the gateway of the other tests probed /readyz.
    primary.readyzRequests = 0;
    router = await startRouter({
      primary: primary.url, standby: standby.url, port: 0, host: '127.0.0.1', probeIntervalMs: 20, healthyProbeIntervalMs: 20,
      readinessPath: '/v2/health/ready', allowedSha256: [FAKE_MODEL_SHA256],
    });
    const probes = () => primary.v2Requests.filter((r) => r.method === 'GET' && r.path === '/v2/health/ready').length;
    // A few health checks first: a replica they refused would be out of traffic by now.
    while (probes() < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    const res = await infer();
    expect([res.status, res.servedBy, res.failover]).toEqual([200, 'primary', 'none']);
    expect(probes()).toBeGreaterThan(0);
    expect(primary.readyzRequests).toBe(0);
    // An answer claiming a model outside the fixed set is still refused: the standby answers.
    primary.sha256 = 'ee'.repeat(32);
    expect(await infer()).toMatchObject({ status: 200, servedBy: 'standby' });
  });
});

describe('problemWithInferAnswer', () => {
  const allowed = (sha256: string) => (sha256 === FAKE_MODEL_SHA256 ? null : `model sha256 ${sha256} is not in the allowed set`);
  const expected = { model: FAKE_MODEL_NAME, candidateCount: 3 };
  const answer = (outputs: object[], extra: object = {}) =>
    Buffer.from(JSON.stringify({ model_name: FAKE_MODEL_NAME, model_version: 'v1', parameters: { model_sha256: FAKE_MODEL_SHA256 }, outputs, ...extra }));
  const scores = (data: unknown[]) => ({ name: 'scores', datatype: 'FP32', shape: [data.length], data });

  it('accepts a JSON answer with one finite score per candidate from an allowed model', () => {
    expect(problemWithInferAnswer(answer([scores([0.1, 0.2, 0.3])]), undefined, expected, allowed)).toBeNull();
  });

  it.each([
    ['not JSON', Buffer.from('{"outputs":'), undefined, /invalid_body.*cannot be read/],
    ['a null (NaN) score', answer([scores([0.1, null, 0.3])]), undefined, /invalid_body.*not a finite number at index 1/],
    ['two scores for three candidates', answer([scores([0.1, 0.2])]), undefined, /invalid_body.*2 values for 3 candidates/],
    ['no outputs', answer([]), undefined, /invalid_body.*no outputs/],
    ['no sha256', answer([scores([1, 2, 3])], { parameters: {} }), undefined, /wrong_model.*names no model sha256/],
    ['an unknown sha256', answer([scores([1, 2, 3])], { parameters: { model_sha256: 'ef'.repeat(32) } }), undefined, /wrong_model.*not in the allowed set/],
    ['binary outputs cut short', Buffer.concat([answer([{ name: 'scores', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 12 } }]), Buffer.alloc(8)]), 'json', /invalid_body.*binary_data_size 12, but 8 bytes are left/],
  ])('refuses %s', (_why, body, headerLength, message) => {
    const length = headerLength === 'json' ? String(body.length - 8) : undefined;
    const problem = problemWithInferAnswer(body, length, expected, allowed);
    expect(`${problem?.kind} ${problem?.message}`).toMatch(message);
  });
});
