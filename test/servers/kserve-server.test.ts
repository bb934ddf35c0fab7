// KServe's ModelServer (from PyPI, in its own image) as the replicas of a topology, asked directly with the
// harness's own OIP v2 client: it must answer the reference server's tensors (names, datatypes, shapes) with the
// reference scores, and, having no checksum of its own, serve damaged weights after a restart with scores that
// differ while it still claims the same model. That difference is what a drill against it has to expose.
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { getContainerRuntimeClient } from 'testcontainers';
import { INFERENCE_HEADER_CONTENT_LENGTH, type RankRequest, type V2ModelMetadata } from '../../services/common/contract';
import { decodeInferResponse, encodeInferRequest, type EncodeOptions } from '../../services/inference/oip-v2-client';
import { modelTensors } from '../../services/inference/oip-v2-tensors';
import { corruptModel } from '../../services/model/corrupt';
import { cachedReferenceScores } from '../../services/model/reference-cache';
import { generateRequests } from '../../services/model/requests';
import { maxAbsDelta, TOLERANCE } from '../../harness/load/reference';
import { prepare } from '../../harness/prepare';
import { readSetupState } from '../../harness/setup/state';
import { LABEL_RUN } from '../../harness/topology/labels';
import type { StartedReplicaContainer } from '../../harness/topology/parts';
import { kserveReplica } from '../../harness/topology/replicas/kserve';
import { ensureReplicaImage } from '../../harness/topology/replicas/images';
import { startKserveTopology } from '../../harness/topology/kserve-topology';
import type { Topology } from '../../harness/topology/topology';

/** KServe imports its framework before it listens: seconds on an idle machine, tens of seconds on a loaded one. */
const READY_WITHIN_MS = 120_000;

async function infer(replica: StartedReplicaContainer, model: string, req: RankRequest, opts: EncodeOptions = {}) {
  const { body, headers } = encodeInferRequest(req, opts);
  const res = await request(`${await replica.directUrl()}/v2/models/${model}/infer`, { method: 'POST', body, headers });
  const answer = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) throw new Error(`infer answered ${res.statusCode}: ${answer.toString('utf8', 0, 300)}`);
  const length = res.headers[INFERENCE_HEADER_CONTENT_LENGTH];
  return decodeInferResponse(answer, typeof length === 'string' ? length : undefined);
}

async function awaitReady(replica: StartedReplicaContainer): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < READY_WITHIN_MS) {
    if ((await replica.readiness().catch(() => undefined))?.ready) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${replica.role} was not ready within ${READY_WITHIN_MS} ms: ${(await replica.logTail(20)).join('\n')}`);
}

const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))] as number;

let topology: Topology;
let prepared: Awaited<ReturnType<typeof prepare>>;
const requests = generateRequests({ seed: 7, count: 16, candidates: 100 });

beforeAll(async () => {
  prepared = await prepare();
  const built = performance.now();
  const image = await ensureReplicaImage(kserveReplica.image!, readSetupState().baseImage);
  console.log(`kserve image ${image}: ${Math.round(performance.now() - built)} ms (0 when present)`);
  const started = performance.now();
  topology = await startKserveTopology('kserve-server', prepared);
  console.log(`topology with two KServe replicas up in ${Math.round(performance.now() - started)} ms`);
}, 900_000);

afterAll(async () => {
  if (!topology) return;
  const runId = topology.runId;
  await topology[Symbol.asyncDispose]();
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`] } })).toEqual([]);
});

test('KServe answers the reference tensors and the reference scores over OIP v2, binary and JSON', async () => {
  const { primary } = topology.replicas;
  const { manifest } = prepared.models.fp32;
  const metadata = (await (await request(`${await primary.directUrl()}/v2/models/${manifest.name}`)).body.json()) as V2ModelMetadata;
  const shape = ({ name, datatype, shape }: V2ModelMetadata['inputs'][number]) => ({ name, datatype, shape });
  expect(metadata.inputs.map(shape)).toEqual(modelTensors(manifest).metadata.inputs.map(shape));
  expect(metadata.outputs.map(shape)).toEqual(modelTensors(manifest).metadata.outputs.map(shape));

  const reference = await cachedReferenceScores(prepared.models.fp32.onnx, manifest, requests);
  const latencies: number[] = [];
  for (const [i, req] of requests.entries()) {
    const sent = performance.now();
    const { response, outputs } = await infer(primary, manifest.name, req);
    latencies.push(performance.now() - sent);
    expect(response).toMatchObject({ model_name: manifest.name, model_version: manifest.version, parameters: { model_sha256: manifest.sha256 } });
    expect(response.id).toEqual(expect.any(String));
    expect(response.id).not.toBe('');
    expect(maxAbsDelta(Array.from(outputs['scores'] ?? []), reference.scores[i]!)).toBeLessThanOrEqual(TOLERANCE.fp32);
  }
  console.log(`KServe v2 binary infer from the host, 1 x 100 candidates: p50 ${percentile(latencies, 0.5).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms over ${latencies.length}`);
  const json = await infer(primary, manifest.name, requests[0]!, { binaryInputs: false, binaryOutputs: false });
  expect(maxAbsDelta(Array.from(json.outputs['scores'] ?? []), reference.scores[0]!)).toBeLessThanOrEqual(TOLERANCE.fp32);
}, 120_000);

test('with flipped weights on disk and a restart, KServe serves other scores under the same model name, version and sha256', async () => {
  const { standby } = topology.replicas;
  const { manifest } = prepared.models.fp32;
  const flipped = corruptModel(prepared.models.fp32, 'flip');
  await standby.replaceModel({ onnx: flipped.onnx });
  expect(await standby.modelFileProblem(prepared.models.fp32.onnx)).toMatch(/has sha256/);
  await standby.restartGracefully(1000);
  console.log(`KServe restart to ready: ${Math.round(await awaitReady(standby))} ms`);

  const reference = await cachedReferenceScores(prepared.models.fp32.onnx, manifest, requests);
  const deltas: number[] = [];
  for (const [i, req] of requests.entries()) {
    const { response, outputs } = await infer(standby, manifest.name, req);
    // It loaded what was on disk and still names the model it was told it serves.
    expect(response).toMatchObject({ model_version: manifest.version, parameters: { model_sha256: manifest.sha256 } });
    deltas.push(maxAbsDelta(Array.from(outputs['scores'] ?? []), reference.scores[i]!));
  }
  expect(Math.max(...deltas)).toBeGreaterThan(TOLERANCE.fp32);
  console.log(`flipped weights: ${deltas.filter((d) => d > TOLERANCE.fp32).length} of ${deltas.length} requests answered other scores (max delta ${Math.max(...deltas).toExponential(2)})`);
}, READY_WITHIN_MS + 60_000);
