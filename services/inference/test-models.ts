// Broken models for tests: the damage a drill injects into weights, each with the manifest that goes with it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuiltModel } from '../model/build';
import { corruptModel, flipRegion } from '../model/corrupt';
import { type Manifest, MANIFEST_FILE, MODEL_FILE } from '../model/manifest';

export { flipRegion, truncate } from '../model/corrupt';

/** One byte inverted in the middle of the file (inside the item embedding table): parses, scores change. */
export const flipMiddleByte = (bytes: Uint8Array): Uint8Array => flipRegion(bytes, 1);

/**
 * The model with a NaN in a first-layer bias, re-encoded, and a manifest whose checksum matches the new bytes:
 * what a faulty export looks like. Only the probe set can tell.
 */
export const withNaNWeight = (model: BuiltModel): BuiltModel => corruptModel(model, 'nan', { resign: true });

/** Writes model.onnx and manifest.json as given, consistent or not. */
export async function writeRawModelDir(dir: string, bytes: Uint8Array, manifest: Manifest): Promise<void> {
  await writeFile(join(dir, MODEL_FILE), bytes);
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}

