// Decides whether the replica may serve a model. A replica never serves weights whose sha256 differs from the
// manifest (corrupted weights usually still parse and silently change scores), that onnxruntime cannot load, or
// that miss the manifest's probe set (NaN, Inf, or the wrong scores under the right checksum).
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelIdentity } from '../common/contract';
import { formatManifest, isModelDirError, type Manifest, MANIFEST_FILE, MODEL_FILE, readModelDir, sha256Hex } from '../model/manifest';
import { NOT_BUILT_HERE, quantizeWeights, readWeights } from '../model/build';
import { checkProbes } from '../model/probes';
import { type ModelWeights, referenceScores } from '../model/reference';
import { Ranker } from '../model/ranker';
import { type LoadSteps, timed } from './load-steps';

export type NotReadyCode =
  | 'manifest_invalid'
  | 'model_unreadable'
  | 'weights_checksum_mismatch'
  | 'model_unparseable'
  | 'model_probe_failed';

export interface NotReadyReason {
  code: NotReadyCode;
  message: string;
}

/** A model that passed every check, with the very bytes that were checked (served by /v1/model/weights). */
export interface VerifiedModel {
  manifest: Manifest;
  identity: ModelIdentity;
  ranker: Ranker;
  bytes: Uint8Array;
}

export type Verification =
  | { ok: true; model: VerifiedModel }
  /** `manifest` is what the source claims, when it could be read. */
  | { ok: false; manifest?: Manifest; reason: NotReadyReason };

function checksumMismatch(manifest: Manifest, bytes: Uint8Array, source: string): Verification | undefined {
  const actual = sha256Hex(bytes);
  if (actual === manifest.sha256) return undefined;
  const size = bytes.byteLength === manifest.bytes ? '' : ` (${bytes.byteLength} bytes where the manifest says ${manifest.bytes})`;
  const message = `sha256 of ${source} is ${actual} but the manifest says ${manifest.sha256}${size}; refusing to serve unverified weights`;
  return { ok: false, manifest, reason: { code: 'weights_checksum_mismatch', message } };
}

/** Checks `bytes` against `manifest`: checksum, then parse, then probes. `source` names the bytes in messages. */
/**
 * `checks: false` skips the checksum and the probe set: a server that trusts whatever is on disk. It exists
 * only as the negative control that shows drills catch such a server (`--no-verify`).
 */
export async function verifyModel(manifest: Manifest, bytes: Uint8Array, source: string, checks = true, steps: LoadSteps = {}): Promise<Verification> {
  const refuse = (code: NotReadyCode, message: string): Verification => ({ ok: false, manifest, reason: { code, message } });
  const mismatch = checks && (await timed(steps, 'sha256', () => checksumMismatch(manifest, bytes, source)));
  if (mismatch) return mismatch;
  let ranker: Ranker;
  try {
    ranker = await timed(steps, 'session', () => Ranker.load(bytes, manifest.io));
  } catch (e) {
    return refuse('model_unparseable', `cannot load ${source} as its manifest describes it: ${(e as Error).message}`);
  }
  const probes = manifest.probes;
  const problem = checks && probes && (await timed(steps, 'probes', () => checkProbes((req) => ranker.score(req), probes, manifest.precision).catch((e: Error) => `a probe failed to run: ${e.message}`)));
  if (problem) {
    await ranker.release();
    return refuse('model_probe_failed', `${source} fails its probe set: ${problem}`);
  }
  const identity: ModelIdentity = { version: manifest.version, sha256: manifest.sha256, precision: manifest.precision };
  return { ok: true, model: { manifest, identity, ranker, bytes } };
}

/**
 * For a replica that serves int8: checks an fp32 model against its manifest (checksum, then its probe set on the
 * reference forward pass, so no session is created for a model that will not be served), quantizes it, and
 * verifies the int8 model like any other.
 */
export async function verifyQuantized(fp32: Manifest, bytes: Uint8Array, source: string, steps: LoadSteps = {}): Promise<Verification> {
  const refuse = (code: NotReadyCode, message: string): Verification => ({ ok: false, manifest: fp32, reason: { code, message } });
  const mismatch = await timed(steps, 'sha256', () => checksumMismatch(fp32, bytes, source));
  if (mismatch) return mismatch;
  const seed = fp32.seed;
  if (seed === undefined) return refuse('model_unparseable', `cannot quantize ${source}: ${NOT_BUILT_HERE}`);
  let weights: ModelWeights;
  try {
    weights = await timed(steps, 'quantize', () => readWeights(bytes));
  } catch (e) {
    return refuse('model_unparseable', `cannot quantize ${source}: ${(e as Error).message}`);
  }
  const probes = fp32.probes;
  const problem = probes && (await timed(steps, 'probes', () => checkProbes(async (req) => referenceScores(weights, req), probes, 'fp32')));
  if (problem) return refuse('model_probe_failed', `${source} fails its probe set: ${problem}`);
  const int8 = await timed(steps, 'quantize', () => quantizeWeights(weights, seed, fp32.sha256));
  return verifyModel(int8.manifest, int8.onnx, `${source} quantized to int8`, true, steps);
}

/** Reads `dir/manifest.json` and `dir/model.onnx` and verifies them. */
export async function loadVerifiedModel(dir: string, checks = true, steps: LoadSteps = {}): Promise<Verification> {
  let manifest: Manifest;
  let modelPath: string;
  try {
    ({ manifest, modelPath } = await readModelDir(dir));
  } catch (e) {
    if (!isModelDirError(e)) throw e;
    return { ok: false, reason: { code: 'manifest_invalid', message: e.message } };
  }
  let bytes: Buffer;
  try {
    bytes = await timed(steps, 'read', () => readFile(modelPath));
  } catch (e) {
    return { ok: false, manifest, reason: { code: 'model_unreadable', message: `cannot read ${modelPath}: ${(e as Error).message}` } };
  }
  return verifyModel(manifest, bytes, modelPath, checks, steps);
}

/**
 * Replaces the model directory's files with a verified model, each by rename so a reader never sees a partial
 * file. Weights first: a crash between the two renames leaves a checksum mismatch, which refuses to serve.
 */
export async function persistModel(dir: string, manifest: Manifest, bytes: Uint8Array): Promise<void> {
  const replace = async (name: string, data: Uint8Array | string) => {
    const temp = join(dir, `.${name}.${randomUUID()}.tmp`);
    await writeFile(temp, data);
    await rename(temp, join(dir, name));
  };
  await replace(MODEL_FILE, bytes);
  await replace(MANIFEST_FILE, formatManifest(manifest));
}
