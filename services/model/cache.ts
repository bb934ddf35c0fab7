// Built models kept by their build options: a large model takes seconds to generate, and drills, benches and
// replicas that name the same size can share one directory.
import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildOptions, DEFAULT_SEED, writeModelDir } from './build';
import { MANIFEST_FILE, type Manifest, readModelDir } from './manifest';
import { resolveShape } from './shape';

/** Where built models are kept unless a caller says otherwise (git-ignored). */
export const MODEL_CACHE_DIR = '.build/models';

/** A key that two option objects meaning the same model share (defaults filled in, fields in one order). */
export function buildKey(opts: BuildOptions): string {
  const precision = opts.precision ?? 'fp32';
  const canonical = {
    seed: opts.seed ?? DEFAULT_SEED,
    precision,
    quantization: precision === 'int8' ? (opts.quantization ?? 'weight-only') : null,
    shape: resolveShape(opts.shape),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

/**
 * The directory of the model these options build, built first if it is not there yet. It is built beside the
 * cache entry and renamed into place, so a build that dies half way never leaves a directory that looks done.
 */
export async function cachedModelDir(opts: BuildOptions, root = MODEL_CACHE_DIR): Promise<{ dir: string; manifest: Manifest; built: boolean }> {
  const dir = join(root, buildKey(opts));
  const done = await access(join(dir, MANIFEST_FILE)).then(() => true, () => false);
  if (done) return { dir, manifest: (await readModelDir(dir)).manifest, built: false };
  await mkdir(root, { recursive: true });
  const partial = `${dir}.partial-${randomUUID().slice(0, 8)}`;
  try {
    const manifest = await writeModelDir(partial, opts);
    await rename(partial, dir);
    return { dir, manifest, built: true };
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}
