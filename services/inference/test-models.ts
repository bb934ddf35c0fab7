// Broken models for tests: the damage a drill injects into weights, each with the manifest that goes with it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { type BuiltModel, buildModel } from '../model/build';
import { type Manifest, MANIFEST_FILE, MODEL_FILE, sha256Hex } from '../model/manifest';

/** One byte inverted in the middle of the file (inside the item embedding table): parses, scores change. */
export function flipMiddleByte(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const middle = out.length >> 1;
  out[middle] = out[middle]! ^ 0xff;
  return out;
}

/** The first half of the file. */
export function truncate(bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, bytes.length >> 1);
}

/**
 * The model with a NaN in a first-layer bias, re-encoded, and a manifest whose checksum matches the new bytes:
 * what a faulty export looks like. Only the probe set can tell.
 */
export function withNaNWeight(model: BuiltModel): BuiltModel {
  const proto = onnx.ModelProto.decode(model.onnx);
  const bias = proto.graph!.initializer!.find((t) => t.name === 'user_b1')!;
  const raw = Buffer.from(bias.rawData!);
  raw.writeFloatLE(NaN, 0);
  bias.rawData = raw;
  const bytes = onnx.ModelProto.encode(proto).finish();
  return { onnx: bytes, manifest: { ...model.manifest, sha256: sha256Hex(bytes), bytes: bytes.byteLength } };
}

/** Writes model.onnx and manifest.json as given, consistent or not. */
export async function writeRawModelDir(dir: string, bytes: Uint8Array, manifest: Manifest): Promise<void> {
  await writeFile(join(dir, MODEL_FILE), bytes);
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}

