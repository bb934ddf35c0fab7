// The models of a drill that names a size preset (topology.model: { size }): the reference model at that size,
// its int8 variant and its next version, built once (seconds at 1 GB) and kept in the build cache by their
// build options, so later drills, runs and the model-scale bench read them from disk.
import { readFile } from 'node:fs/promises';
import { type BuildOptions, type BuiltModel, DEFAULT_SEED } from '../../services/model/build';
import { cachedModelDir } from '../../services/model/cache';
import { readModelDir } from '../../services/model/manifest';
import { presetShape } from '../../services/model/shape';
import type { Prepared } from '../prepare';
import { buildDir } from '../setup/state';

/** Where sized models are cached: apart from the reference models, which the inference image copies in whole. */
export const sizedModelsDir = (): string => buildDir('sized-models');

async function cachedModel(opts: BuildOptions): Promise<BuiltModel> {
  const { dir } = await cachedModelDir(opts, sizedModelsDir());
  const { manifest, modelPath } = await readModelDir(dir);
  return { manifest, onnx: await readFile(modelPath) };
}

export async function sizedModels(size: string): Promise<Prepared['models']> {
  const shape = presetShape(size);
  return {
    fp32: await cachedModel({ shape }),
    int8: await cachedModel({ shape, precision: 'int8' }),
    next: await cachedModel({ shape, seed: DEFAULT_SEED + 1 }),
  };
}

/** One model at `size` from the build cache, e.g. the next version's int8 variant a primary publishes beside it. */
export const sizedModel = (size: string, opts: Omit<BuildOptions, 'shape'>): Promise<BuiltModel> => cachedModel({ ...opts, shape: presetShape(size) });
