/** @jest-environment <rootDir>/services/model/onnx-test-environment.ts */
// The judge on either protocol: requests encoded as the load sends them, answered by the real model server, read
// back as the load reads them. A right answer passes on v1, v2 binary and v2 JSON alike; a wrong model, wrong
// scores, NaN or a cut answer is wrong on v2 exactly as on v1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../../services/common/contract';
import { startInferenceServer, type InferenceServer } from '../../services/inference/server';
import { writeModelDir } from '../../services/model/build';
import { type Manifest, MODEL_FILE } from '../../services/model/manifest';
import { Ranker } from '../../services/model/ranker';
import { generateRequests } from '../../services/model/requests';
import { encodeRequests } from './encode-requests';
import { oipV2Protocol, V1_PROTOCOL, type WireProtocol } from './protocol';
import { makeJudge, type ReferenceModel } from './reference';

const requests = generateRequests({ seed: 3, count: 4, candidates: 20 });
let root: string;
let manifest: Manifest;
let server: InferenceServer;
let reference: ReferenceModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'judge-test-'));
  manifest = await writeModelDir(root);
  server = await startInferenceServer({ modelDir: root, port: 0, host: '127.0.0.1', role: 'primary', name: 'primary-a', log: () => undefined });
  const ranker = await Ranker.load(join(root, MODEL_FILE));
  reference = { sha256: manifest.sha256, precision: 'fp32', scores: await Promise.all(requests.map((r) => ranker.score(r))) };
  await ranker.release();
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

/** Request i of the set in the protocol, answered by the server: the body and its header length, as the load reads them. */
async function answer(protocol: WireProtocol, i: number): Promise<{ body: Buffer; headerLength?: string }> {
  const { path, headers, body } = encodeRequests(requests, protocol)[i]!;
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  expect(res.status).toBe(200);
  const headerLength = res.headers.get(INFERENCE_HEADER_CONTENT_LENGTH) ?? undefined;
  return { body: Buffer.from(await res.arrayBuffer()), ...(headerLength === undefined ? {} : { headerLength }) };
}

const protocols: [string, () => WireProtocol][] = [
  ['v1', () => V1_PROTOCOL],
  ['oip-v2 binary', () => oipV2Protocol('binary', manifest)],
  ['oip-v2 json', () => oipV2Protocol('json', manifest)],
];

describe.each(protocols)('the judge on %s', (_name, protocolOf) => {
  it('finds the server\'s answers right, each against its own request\'s reference', async () => {
    const judge = makeJudge([reference], protocolOf());
    for (let i = 0; i < requests.length; i++) {
      const { body, headerLength } = await answer(protocolOf(), i);
      expect(judge(i, body, headerLength)).toEqual({ maxAbsDelta: expect.any(Number), wrong: false });
      expect(judge(i, body, headerLength).maxAbsDelta).toBeLessThan(1e-6);
      // The same answer judged as the answer to another request: wrong scores.
      expect(judge((i + 1) % requests.length, body, headerLength).wrong).toBe(true);
    }
  });

  it('finds an answer from a model it has no reference for wrong', async () => {
    const judge = makeJudge([{ ...reference, sha256: 'ef'.repeat(32) }], protocolOf());
    const { body, headerLength } = await answer(protocolOf(), 0);
    expect(judge(0, body, headerLength)).toEqual({ maxAbsDelta: Infinity, wrong: true });
  });
});

describe('the judge on oip-v2, tampered answers', () => {
  const judgeOf = (encoding: 'binary' | 'json') => makeJudge([reference], oipV2Protocol(encoding, manifest));

  it('finds a binary answer with one changed score, a NaN score or cut bytes wrong', async () => {
    const { body, headerLength } = await answer(oipV2Protocol('binary', manifest), 0);
    const start = Number(headerLength);
    const changed = Buffer.from(body);
    changed.writeFloatLE(changed.readFloatLE(start + 8) + 0.01, start + 8);
    expect(judgeOf('binary')(0, changed, headerLength)).toMatchObject({ wrong: true });
    const nan = Buffer.from(body);
    nan.writeFloatLE(Number.NaN, start);
    expect(judgeOf('binary')(0, nan, headerLength)).toEqual({ maxAbsDelta: Infinity, wrong: true });
    expect(judgeOf('binary')(0, body.subarray(0, body.length - 4), headerLength)).toEqual({ maxAbsDelta: Infinity, wrong: true });
  });

  it('finds a JSON answer with a null (NaN) score, another model name or no sha256 wrong', async () => {
    const { body } = await answer(oipV2Protocol('json', manifest), 0);
    const response = JSON.parse(body.toString()) as { model_name: string; parameters: Record<string, unknown>; outputs: { name: string; data: unknown[] }[] };
    const tampered = (change: (r: typeof response) => void): string => {
      const copy = structuredClone(response);
      change(copy);
      return JSON.stringify(copy);
    };
    expect(judgeOf('json')(0, tampered(() => undefined)).wrong).toBe(false);
    expect(judgeOf('json')(0, tampered((r) => (r.outputs.find((o) => o.name === 'scores')!.data[3] = null))).wrong).toBe(true);
    expect(judgeOf('json')(0, tampered((r) => (r.model_name = 'other-model'))).wrong).toBe(true);
    expect(judgeOf('json')(0, tampered((r) => delete r.parameters['model_sha256'])).wrong).toBe(true);
  });
});
