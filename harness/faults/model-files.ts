// Writing model files into a replica's container and making it pick them up: shared by the corrupt-weights and
// deploy faults and their reverts.
import { createHash } from 'node:crypto';
import { request } from 'undici';
import type { BuiltModel } from '../../services/model/build';
import { MANIFEST_FILE, MODEL_FILE } from '../../services/model/manifest';
import { InfrastructureError } from '../errors';
import type { Replica, Topology } from '../topology/topology';
import { dockerContainer } from './docker';

export const PICKUPS = ['restart', 'reload'] as const;
export type Pickup = (typeof PICKUPS)[number];

/** Replaces model.onnx (and manifest.json, when given) in the replica's model directory. */
export async function writeModelFiles(target: Replica, onnx: Uint8Array, manifest?: BuiltModel['manifest']): Promise<void> {
  await target.container.copyContentToContainer([
    { content: Buffer.from(onnx), target: `${target.modelDir}/${MODEL_FILE}`, mode: 0o644 },
    ...(manifest ? [{ content: `${JSON.stringify(manifest, null, 2)}\n`, target: `${target.modelDir}/${MANIFEST_FILE}`, mode: 0o644 }] : []),
  ]);
}

/** Where a fault's files wait inside the container until the fault takes effect. */
const stagingDir = (key: string): string => `/tmp/failover-drill-staged/${key}`;

/**
 * Uploads model files into the replica's container ahead of the load (a fault's prepare). Uploading 7.7 MB
 * through the Docker API costs the harness and the engine CPU for a few hundred ms; done inside the measured
 * window, that stall showed up as latency of requests to both replicas. Installing staged files is then one
 * rename inside the container.
 */
export async function stageModelFiles(target: Replica, key: string, onnx: Uint8Array, manifest?: BuiltModel['manifest']): Promise<void> {
  const dir = stagingDir(key);
  await target.container.copyContentToContainer([
    { content: Buffer.from(onnx), target: `${dir}/${MODEL_FILE}`, mode: 0o644 },
    ...(manifest ? [{ content: `${JSON.stringify(manifest, null, 2)}\n`, target: `${dir}/${MANIFEST_FILE}`, mode: 0o644 }] : []),
  ]);
}

/** Moves files staged under `key` into the replica's model directory (as root: the upload made them root's). */
export async function installStagedModelFiles(target: Replica, key: string): Promise<void> {
  const dir = stagingDir(key);
  // The manifest goes first: a reload that reads both sees the new manifest with either model file.
  const script = `set -e; [ ! -f ${dir}/${MANIFEST_FILE} ] || mv -f ${dir}/${MANIFEST_FILE} ${target.modelDir}/${MANIFEST_FILE}; mv -f ${dir}/${MODEL_FILE} ${target.modelDir}/${MODEL_FILE}`;
  const { exitCode, output } = await target.container.exec(['sh', '-c', script], { user: 'root' });
  if (exitCode !== 0) throw new InfrastructureError(`installing staged model files in ${target.name} failed (exit ${exitCode}): ${output.trim()}`);
}

/**
 * restart: the process starts again and verifies what is on disk (SIGKILL-free: docker restart).
 * reload: POST /admin/reload, as a deploy pipeline would; a refused reload (422) is an outcome, not an error.
 */
export async function pickUp(topology: Topology, target: Replica, how: Pickup): Promise<void> {
  if (how === 'restart') {
    await (await dockerContainer(target.container.getId())).restart({ t: 1 });
    return;
  }
  const res = await request(`${await target.directUrl()}/admin/reload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${topology.adminToken}` },
    headersTimeout: 10_000,
  });
  const body = await res.body.text();
  if (res.statusCode !== 200 && res.statusCode !== 422) {
    throw new InfrastructureError(`POST /admin/reload on ${target.name} answered ${res.statusCode}: ${body.slice(0, 200)}`);
  }
}

/** Why the replica's model file is not `expected`, read inside the container; undefined when it is. */
export async function modelFileProblem(target: Replica, expected: Uint8Array): Promise<string | undefined> {
  const want = createHash('sha256').update(expected).digest('hex');
  const { output, exitCode } = await target.container.exec(['sha256sum', `${target.modelDir}/${MODEL_FILE}`]);
  if (exitCode !== 0) return `cannot read the model file in ${target.name}: ${output.trim()}`;
  const got = output.trim().split(/\s+/)[0];
  return got === want ? undefined : `${target.name}'s ${MODEL_FILE} has sha256 ${got}, not the written ${want}`;
}
