// Once per process: the setup state, the model the replicas serve, and the service images.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Precision } from '../services/common/contract';
import { readModelDir } from '../services/model/manifest';
import { buildModel, DEFAULT_SEED, writeModelDir, type BuiltModel } from '../services/model/build';
import { applyTestcontainersEnv, buildDir, readSetupState } from './setup/state';
import { getContainerRuntimeClient } from 'testcontainers';
import { InfrastructureError } from './errors';
import { ensureServiceImages, type ServiceImages } from './topology/images';
import { sweep } from './topology/cleanup';

export interface Prepared {
  images: ServiceImages;
  toxiproxyImage: string;
  /**
   * fp32 and int8 are baked into the inference image at /models/<precision>; `next` is the following version
   * of the fp32 model (next seed), which drills roll out through a reload.
   */
  models: Record<Precision | 'next', BuiltModel>;
}

let prepared: Promise<Prepared> | undefined;

/** The build is deterministic: rewriting gives the same bytes (and image hash) unless the model code changed. */
async function ensureModel(dir: string, precision: Precision): Promise<BuiltModel> {
  await writeModelDir(dir, { precision });
  const { manifest, modelPath } = await readModelDir(dir);
  return { manifest, onnx: await readFile(modelPath) };
}

/** Fails fast, saying what to do, when the engine is down or setup's images are gone. */
async function checkDocker(images: readonly string[]): Promise<void> {
  let docker: Awaited<ReturnType<typeof getContainerRuntimeClient>>['container']['dockerode'];
  try {
    docker = (await getContainerRuntimeClient()).container.dockerode;
    await docker.ping();
  } catch (cause) {
    throw new InfrastructureError(`the Docker engine is not reachable (${(cause as Error).message.split('\n')[0]}); start it, or run \`npx drill setup\`, which starts it`, { cause });
  }
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch (cause) {
      throw new InfrastructureError(`image ${image} is missing; run \`npx drill setup\` to pull or build it`, { cause });
    }
  }
}

export function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    const state = readSetupState();
    applyTestcontainersEnv(state);
    await checkDocker([state.toxiproxyImage, state.baseImage]);
    // Leftovers of runs whose process died (SIGKILL, crash) are removed before anything new starts.
    await sweep({ onlyDead: true });
    const modelsDir = buildDir('models');
    const fp32 = await ensureModel(join(modelsDir, 'fp32'), 'fp32');
    const models = {
      fp32,
      int8: await ensureModel(join(modelsDir, 'int8'), 'int8'),
      next: buildModel({ seed: DEFAULT_SEED + 1 }),
    };
    const images = await ensureServiceImages({ baseImage: state.baseImage, modelsDir });
    return { images, toxiproxyImage: state.toxiproxyImage, models };
  })();
  prepared.catch(() => { prepared = undefined; });
  return prepared;
}
