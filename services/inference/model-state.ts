// Decides whether the replica may serve a model. A replica never serves weights whose sha256 differs from the
// manifest (corrupted weights usually still parse and silently change scores), that onnxruntime cannot load, or
// that miss the manifest's probe set (NaN, Inf, or the wrong scores under the right checksum).
import { randomUUID } from 'node:crypto';
import { type FileHandle, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelIdentity } from '../common/contract';
import { formatManifest, INT8_VARIANT_DIR, isModelDirError, type Manifest, MANIFEST_FILE, MODEL_FILE, readModelDir, sha256Hex } from '../model/manifest';
import { NOT_BUILT_HERE, quantizeWeights, readWeights } from '../model/build';
import { checkProbes } from '../model/probes';
import { type ModelWeights, referenceScores } from '../model/reference';
import { Ranker } from '../model/ranker';
import { type LoadSteps, timed } from './load-steps';
import { type ServedWeights, sha256OfWeights, weightsInFile, weightsInMemory } from './model-weights';

/** A variant published beside the served model: checked against its manifest, served from its file, not loaded. */
export interface PublishedVariant {
  manifest: Manifest;
  weights: ServedWeights;
}

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

/** A model that passed every check, with where to read the very bytes that were checked (/v1/model/weights). */
export interface VerifiedModel {
  manifest: Manifest;
  identity: ModelIdentity;
  ranker: Ranker;
  /** In memory until the model is on disk, then its file (model-weights.ts says why). */
  weights: ServedWeights;
  /** The int8 variant this fp32 model publishes for int8 standbys (GET /v1/model/int8/weights), when its directory has one. */
  int8?: PublishedVariant;
  /** Why the directory's int8 variant is not published (a standby then quantizes the fp32 model itself). */
  int8Problem?: string;
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
  return { ok: true, model: { manifest, identity, ranker, weights: weightsInMemory(bytes) } };
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
  // The handle is opened before the bytes are read and checked, and it is what the weights are served from after.
  let handle: FileHandle;
  let bytes: Buffer;
  try {
    handle = await open(modelPath, 'r');
  } catch (e) {
    return { ok: false, manifest, reason: { code: 'model_unreadable', message: `cannot read ${modelPath}: ${(e as Error).message}` } };
  }
  try {
    bytes = await timed(steps, 'read', () => handle.readFile());
  } catch (e) {
    await handle.close();
    return { ok: false, manifest, reason: { code: 'model_unreadable', message: `cannot read ${modelPath}: ${(e as Error).message}` } };
  }
  const verification = await verifyModel(manifest, bytes, modelPath, checks, steps);
  if (!verification.ok) {
    await handle.close();
    return verification;
  }
  const { model } = verification;
  model.weights = weightsInFile(handle, bytes.byteLength);
  if (checks && manifest.precision === 'fp32') {
    const variant = await timed(steps, 'variant', () => readPublishedVariant(join(dir, INT8_VARIANT_DIR), manifest));
    // A directory without a variant took no step.
    if ('problem' in variant && variant.problem === undefined) delete steps.variant;
    if ('problem' in variant) {
      if (variant.problem !== undefined) model.int8Problem = variant.problem;
    } else model.int8 = variant;
  }
  return verification;
}

/**
 * The int8 variant in `dir`, if there is one, checked enough to publish: an int8 manifest derived from the served
 * fp32 model (its sourceSha256), and a file whose sha256 and size are the manifest's. Its session and probes are
 * left to the standby that loads it. `problem` undefined: the directory has no variant.
 */
async function readPublishedVariant(dir: string, fp32: Manifest): Promise<PublishedVariant | { problem: string | undefined }> {
  let manifest: Manifest;
  let modelPath: string;
  try {
    ({ manifest, modelPath } = await readModelDir(dir));
  } catch (e) {
    if (!isModelDirError(e)) throw e;
    return { problem: (e as { cause?: { code?: string } }).cause?.code === 'ENOENT' ? undefined : e.message };
  }
  if (manifest.precision !== 'int8' || manifest.sourceSha256 !== fp32.sha256) {
    return { problem: `${dir} holds ${manifest.precision} ${manifest.version}, not the int8 variant of the served ${fp32.version} (its sourceSha256 must be ${fp32.sha256})` };
  }
  let handle: FileHandle;
  try {
    handle = await open(modelPath, 'r');
  } catch (e) {
    return { problem: `cannot read ${modelPath}: ${(e as Error).message}` };
  }
  const size = await handle.stat().then((s) => s.size, () => -1);
  const weights = weightsInFile(handle, size);
  const actual = size === manifest.bytes ? await sha256OfWeights(weights).catch((e: Error) => `unreadable (${e.message})`) : `not checked (${size} bytes where the manifest says ${manifest.bytes})`;
  if (actual === manifest.sha256) return { manifest, weights };
  await handle.close();
  return { problem: `sha256 of ${modelPath} is ${actual} but its manifest says ${manifest.sha256}; not publishing it` };
}

/**
 * Replaces the model directory's files with a verified model, each by rename so a reader never sees a partial
 * file. Weights first: a crash between the two renames leaves a checksum mismatch, which refuses to serve.
 * Returns the weights as written, read from then on through a handle on the new file.
 */
export async function persistModel(dir: string, manifest: Manifest, weights: ServedWeights): Promise<ServedWeights> {
  const temp = (name: string) => join(dir, `.${name}.${randomUUID()}.tmp`);
  const weightsTemp = temp(MODEL_FILE);
  const handle = await open(weightsTemp, 'w+');
  try {
    for await (const chunk of weights.stream()) await handle.write(chunk as Uint8Array);
    await rename(weightsTemp, join(dir, MODEL_FILE));
    const manifestTemp = temp(MANIFEST_FILE);
    await writeFile(manifestTemp, formatManifest(manifest));
    await rename(manifestTemp, join(dir, MANIFEST_FILE));
  } catch (e) {
    await handle.close();
    throw e;
  }
  return weightsInFile(handle, weights.size);
}
