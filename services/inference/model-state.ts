// Loads the model directory and decides whether the replica may serve it. A replica never serves weights whose
// sha256 differs from the manifest: corrupted weights usually still parse and silently change scores.
import { readFile } from 'node:fs/promises';
import type { ModelIdentity } from '../common/contract';
import { isModelDirError, type Manifest, readModelDir, sha256Hex } from '../model/manifest';
import { Ranker } from '../model/ranker';

export type NotReadyCode = 'manifest_invalid' | 'model_unreadable' | 'weights_checksum_mismatch' | 'model_unparseable';

export interface NotReadyReason {
  code: NotReadyCode;
  message: string;
}

export type ModelState =
  | { ready: true; manifest: Manifest; identity: ModelIdentity; ranker: Ranker }
  /** `manifest` is what the directory claims, when it could be read. */
  | { ready: false; manifest?: Manifest; reason: NotReadyReason };

export async function loadVerifiedModel(dir: string): Promise<ModelState> {
  let manifest: Manifest;
  let modelPath: string;
  try {
    ({ manifest, modelPath } = await readModelDir(dir));
  } catch (e) {
    if (!isModelDirError(e)) throw e;
    return { ready: false, reason: { code: 'manifest_invalid', message: e.message } };
  }
  const notReady = (code: NotReadyCode, message: string): ModelState => ({ ready: false, manifest, reason: { code, message } });

  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (e) {
    return notReady('model_unreadable', `cannot read ${modelPath}: ${(e as Error).message}`);
  }
  // Verify before parsing, and parse the very bytes that were verified.
  const actual = sha256Hex(bytes);
  if (actual !== manifest.sha256) {
    return notReady(
      'weights_checksum_mismatch',
      `sha256 of ${modelPath} is ${actual} but the manifest says ${manifest.sha256}; refusing to serve unverified weights`,
    );
  }
  try {
    const ranker = await Ranker.load(bytes);
    const identity: ModelIdentity = { version: manifest.version, sha256: manifest.sha256, precision: manifest.precision };
    return { ready: true, manifest, identity, ranker };
  } catch (e) {
    return notReady('model_unparseable', `onnxruntime cannot load ${modelPath}: ${(e as Error).message}`);
  }
}
