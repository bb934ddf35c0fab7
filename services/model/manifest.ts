// The model directory format: `model.onnx` plus `manifest.json` naming its identity and checksum.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { formatPath } from '../common/field-path';
import { FEATURE_DIM, MAX_CANDIDATES } from '../common/contract';

export const MODEL_NAME = 'two-tower-ranker';
export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'manifest.json';
/**
 * Where a model directory keeps the int8 variant of its fp32 model, built offline beside it (`drill model build
 * --precision int8`, same seed and sizes): a replica serving the fp32 model publishes it, and an int8 standby syncs
 * those bytes (a quarter of the fp32 file) instead of downloading the fp32 model and quantizing it itself.
 */
export const INT8_VARIANT_DIR = 'int8';

/** Rows of the two-tower model's user and item embedding tables: valid ids are 0..VOCAB-1. */
export const USER_VOCAB = 10_000;
export const ITEM_VOCAB = 20_000;

/** The request fields a model input can carry; each is one tensor (see ranker.ts for the shapes accepted). */
export const INPUT_ROLES = ['userId', 'userFeatures', 'itemIds', 'itemFeatures'] as const;
export type InputRole = (typeof INPUT_ROLES)[number];
export const ID_ROLES = ['userId', 'itemIds'] as const;

const ioSchema = z
  .object({
    /** Model input name per request field. A field without an input is not passed to the model. */
    inputs: z.partialRecord(z.enum(INPUT_ROLES), z.string().min(1)),
    /** The float32 output holding one score per candidate. */
    scores: z.string().min(1),
    /** Rows of the embedding table each id input indexes: valid ids are 0..rows-1. */
    vocab: z.partialRecord(z.enum(ID_ROLES), z.number().int().positive()),
  })
  .strict()
  .superRefine((io, ctx) => {
    if (!io.inputs.itemIds && !io.inputs.itemFeatures) {
      ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'must map itemIds or itemFeatures: the model needs the number of candidates' });
    }
    for (const role of ID_ROLES) {
      if (io.inputs[role] && io.vocab[role] === undefined) ctx.addIssue({ code: 'custom', path: ['vocab', role], message: `is required when inputs.${role} is mapped` });
    }
  });

/** How requests map onto a model's inputs and outputs. */
export type ModelIo = z.infer<typeof ioSchema>;

/** The two-tower model's mapping; a manifest without `io` (written before it existed) means this one. */
export const TWO_TOWER_IO: ModelIo = {
  inputs: { userId: 'user_id', userFeatures: 'user_features', itemIds: 'item_ids', itemFeatures: 'item_features' },
  scores: 'scores',
  vocab: { userId: USER_VOCAB, itemIds: ITEM_VOCAB },
};

const tensorSpecSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['int64', 'float32']),
  // A string is a symbolic dimension, e.g. "N" candidates.
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])),
});

const featuresSchema = z.array(z.number()).length(FEATURE_DIM);
const probeSchema = z.object({
  request: z.object({
    userId: z.number().int().nonnegative(),
    userFeatures: featuresSchema,
    candidates: z.array(z.object({ itemId: z.number().int().nonnegative(), features: featuresSchema })).min(1).max(MAX_CANDIDATES),
  }),
  scores: z.array(z.number()),
});

export const manifestSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
  bytes: z.number().int().positive(),
  precision: z.enum(['fp32', 'int8']),
  /** How an int8 model computes: absent or `weight-only` (float MatMuls), `dynamic` (int8 MatMuls, activations quantized per request). */
  quantization: z.enum(['weight-only', 'dynamic']).optional(),
  /** The weight seed of a model built by `drill model build`; absent for a model from elsewhere. */
  seed: z.number().int().optional(),
  inputs: z.array(tensorSpecSchema).min(1),
  outputs: z.array(tensorSpecSchema).min(1),
  io: ioSchema.default(TWO_TOWER_IO),
  /** Layer widths of a two-tower model built here with other than the default ones (64, 64, 32). */
  widths: z.object({ embedding: z.number().int().positive(), hidden: z.number().int().positive(), output: z.number().int().positive() }).strict().optional(),
  /** For a derived variant (int8): sha256 of the fp32 model it was quantized from. */
  sourceSha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits').optional(),
  /** Requests with their expected scores, checked after loading; a model without probes skips that check. */
  probes: z.array(probeSchema).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type Quantization = NonNullable<Manifest['quantization']>;
/** A request and the scores the model must give for it (within the precision's tolerance). */
export type ProbeCase = z.infer<typeof probeSchema>;
export type TensorSpec = z.infer<typeof tensorSpecSchema>;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Raised when a model directory cannot be read or its manifest is invalid; the message names file and field. */
export class ModelDirError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelDirError';
  }
}

export function isModelDirError(e: unknown): e is ModelDirError {
  return e instanceof ModelDirError;
}

export function parseManifest(json: unknown, file: string): Manifest {
  const result = manifestSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? formatPath(issue.path) : '(root)';
  throw new ModelDirError(`${file}: field "${field}" is invalid: ${issue?.message ?? 'unknown problem'}`);
}

/** Reads and validates `dir/manifest.json`. The weights are not read here: verifying them is the caller's job. */
export async function readModelDir(dir: string): Promise<{ manifest: Manifest; modelPath: string }> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ModelDirError(`cannot read model manifest ${file}: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ModelDirError(`${file} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return { manifest: parseManifest(json, file), modelPath: join(dir, MODEL_FILE) };
}

/** manifest.json text: indented for people, but each array of numbers on one line (the probe set has ~1,700). */
export function formatManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2).replace(/\[[-+\d\s,.eE]+\]/g, (numbers) => numbers.replace(/\s+/g, ''))}\n`;
}

/** Writes a model and its manifest into `dir` (created if missing). */
export async function writeModelFiles(dir: string, onnx: Uint8Array, manifest: Manifest): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MODEL_FILE), onnx);
  await writeManifestFile(dir, manifest);
}

export async function writeManifestFile(dir: string, manifest: Manifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), formatManifest(manifest));
}
