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
