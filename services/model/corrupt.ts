// The damage a drill does to model weights, and the negative tests of the model server. Each mode returns the
// broken bytes with the manifest that goes with them: the original one (the checksum catches the damage), or,
// with `resign`, one recomputed for the new bytes (a faulty export: only the probe set can tell).
import { onnx } from 'onnx-proto';
import { buildModel, type BuiltModel, DEFAULT_SEED } from './build';
import { sha256Hex } from './manifest';

export const CORRUPTION_MODES = ['flip', 'zero', 'truncate', 'nan', 'other-model'] as const;
export type CorruptionMode = (typeof CORRUPTION_MODES)[number];

export interface CorruptOptions {
  /** Bytes damaged by flip and zero, from the middle of the file (inside the item embedding table). */
  regionBytes?: number;
  /** Recompute the manifest's checksum for the damaged bytes. */
  resign?: boolean;
}

/** Inverts `length` bytes from the middle of the file: the model still parses; scores of the items hit change. */
export function flipRegion(bytes: Uint8Array, length = 1): Uint8Array {
  const out = new Uint8Array(bytes); // a copy (Buffer#slice would be a view)
  const start = out.length >> 1;
  for (let i = start; i < Math.min(out.length, start + length); i++) out[i] = out[i]! ^ 0xff;
  return out;
}

export function zeroRegion(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(bytes); // a copy (Buffer#slice would be a view)
  const start = out.length >> 1;
  out.fill(0, start, Math.min(out.length, start + length));
  return out;
}

/** The first half of the file: it no longer parses. */
export function truncate(bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, bytes.length >> 1);
}

/** A NaN in the first element of the user tower's first bias, re-encoded: parses, every score becomes NaN. */
export function withNaNWeight(bytes: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(bytes);
  const bias = proto.graph?.initializer?.find((t) => t.name === 'user_b1');
  if (!bias?.rawData) throw new Error('the model has no float initializer "user_b1" to put a NaN in');
  const raw = Buffer.from(bias.rawData);
  raw.writeFloatLE(Number.NaN, 0);
  bias.rawData = raw;
  return onnx.ModelProto.encode(proto).finish();
}

export function corruptModel(model: BuiltModel, mode: CorruptionMode, opts: CorruptOptions = {}): BuiltModel {
  const region = opts.regionBytes ?? 65_536;
  if (mode === 'other-model') {
    // A different, internally consistent model (its own manifest and probes): the server accepts it; only
    // whoever knows which models are allowed can refuse its answers.
    return buildModel({ seed: (model.manifest.seed ?? DEFAULT_SEED) + 1, precision: model.manifest.precision });
  }
  const bytes = {
    flip: () => flipRegion(model.onnx, region),
    zero: () => zeroRegion(model.onnx, region),
    truncate: () => truncate(model.onnx),
    nan: () => withNaNWeight(model.onnx),
  }[mode]();
  const manifest = opts.resign ? { ...model.manifest, sha256: sha256Hex(bytes), bytes: bytes.byteLength } : model.manifest;
  return { onnx: bytes, manifest };
}
