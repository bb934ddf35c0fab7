// Reusing a topology across drills must not carry one drill's damage into the next: a reset either restores
// every part to the image's state or the topology is not reused.
import { request } from 'undici';
import { prepare } from '../../harness/prepare';
import { getContainerRuntimeClient } from 'testcontainers';
import { LABEL_RUN } from '../../harness/topology/labels';
import { TopologyPool, type TopologySpec } from '../../harness/topology/pool';

/** The reference deployment with an fp32 standby: what the pool is asked for in these tests. */
async function fp32Topology() {
  const prepared = await prepare();
  const spec: TopologySpec = { images: prepared.images, toxiproxyImage: prepared.toxiproxyImage, gateway: { failover: true }, standbyPrecision: 'fp32' };
  return { prepared, spec, models: { primary: prepared.models.fp32, standby: prepared.models.fp32 } };
}

test('a reused topology comes back clean: no toxics, proxies enabled, the image model on disk and in memory, a new gateway', async () => {
  const { prepared, spec, models } = await fp32Topology();
  await using pool = new TopologyPool();
  const first = await pool.acquire(spec, models);
  const { primary, standby } = first.topology.replicas;
  const oldGateway = first.topology.gateway.containerId;

  // The damage a drill could leave behind if its reverts were lost: a toxic, a disabled proxy, a paused
  // replica, and another model on the primary's disk and in its memory.
  await primary.proxy.instance.addToxic({ name: 'left-over', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 500, jitter: 0 } });
  await standby.proxy.setEnabled(false);
  await primary.replaceModel(prepared.models.next);
  // The install read back the file it left, in the same exec: a fault's check that it took effect needs no other.
  expect(primary.installedModelProblem(prepared.models.next.onnx)).toBeUndefined();
  expect(primary.installedModelProblem(prepared.models.fp32.onnx)).toMatch(/primary's \/models\/fp32\/model\.onnx has sha256 [0-9a-f]{64} after the install, not the written [0-9a-f]{64}/);
  expect(standby.installedModelProblem(prepared.models.fp32.onnx)).toBe('no model files were installed in standby');
  expect(await primary.modelFileProblem(prepared.models.next.onnx)).toBeUndefined();
  await primary.restartGracefully(1000);
  await standby.pause();
  await pool.release(first.topology, true, spec);

  const second = await pool.acquire(spec, models);
  expect(second).toMatchObject({ reused: true, topology: first.topology });
  const api = (await second.topology.endpoints())['toxiproxy API'];
  const proxies = await (await request(`${api}/proxies`)).body.json() as Record<string, { enabled: boolean; toxics: unknown[] }>;
  expect(Object.keys(proxies).sort()).toEqual(['primary', 'standby', 'sync']);
  for (const proxy of Object.values(proxies)) expect(proxy).toMatchObject({ enabled: true, toxics: [] });
  expect(await primary.readiness()).toMatchObject({ status: 200, ready: true, sha256: prepared.models.fp32.manifest.sha256 });
  expect(await standby.readiness()).toMatchObject({ status: 200, ready: true, sha256: prepared.models.fp32.manifest.sha256 });
  expect(second.topology.gateway.containerId).not.toBe(oldGateway);
  const res = await request(`${second.topology.gatewayUrl}/v1/routing`);
  expect(res.statusCode).toBe(200);
  await res.body.dump();
});

test('a topology released after a drill that did not pass is removed, and the next drill gets a new one', async () => {
  const { spec, models } = await fp32Topology();
  await using pool = new TopologyPool();
  const first = await pool.acquire(spec, models);
  await pool.release(first.topology, false, spec);
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  await expect(docker.getContainer(first.topology.gateway.containerId).inspect()).rejects.toThrow(/no such container/i);
  const second = await pool.acquire(spec, models);
  expect(second.reused).toBe(false);
  expect(second.topology.runId).not.toBe(first.topology.runId);
});

test('disposing the pool removes every topology it started, also one still handed out', async () => {
  const { spec, models } = await fp32Topology();
  const pool = new TopologyPool();
  const { topology } = await pool.acquire(spec, models);
  await pool[Symbol.asyncDispose]();
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${topology.runId}`] } })).toEqual([]);
  expect(await docker.listNetworks({ filters: { label: [`${LABEL_RUN}=${topology.runId}`] } })).toEqual([]);
});
