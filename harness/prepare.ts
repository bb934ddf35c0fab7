// Once per process: the setup state, the model the replicas serve, and the service images.
import { join } from 'node:path';
import type { Precision } from '../services/common/contract';
import { readModelDir, type Manifest } from '../services/model/manifest';
import { writeModelDir } from '../services/model/build';
import { projectRoot } from './paths';
import { applyTestcontainersEnv, readSetupState } from './setup/state';
import { getContainerRuntimeClient } from 'testcontainers';
import { InfrastructureError } from './errors';
import { ensureServiceImages, type ServiceImages } from './topology/images';
import { sweep } from './topology/cleanup';

export interface PreparedModel {
  dir: string;
  modelPath: string;
  manifest: Manifest;
}

export interface Prepared {
  images: ServiceImages;
  toxiproxyImage: string;
  /** The models baked into the inference image at /models/<precision>. */
  models: Record<Precision, PreparedModel>;
}

let prepared: Promise<Prepared> | undefined;

/** The build is deterministic: rewriting gives the same bytes (and image hash) unless the model code changed. */
async function ensureModel(dir: string, precision: Precision): Promise<PreparedModel> {
  await writeModelDir(dir, { precision });
  return { dir, ...(await readModelDir(dir)) };
}

/** Fails fast, saying what to do, when the engine is down or setup's images are gone. */
async function checkDocker(images: readonly string[]): Promise<void> {
  let docker: Awaited<ReturnType<typeof getContainerRuntimeClient>>['container']['dockerode'];
  try {
    docker = (await getContainerRuntimeClient()).container.dockerode;
    await docker.ping();
  } catch (cause) {
    throw new InfrastructureError(`the Docker engine is not reachable (${(cause as Error).message.split('\n')[0]}); start it, or run \`npm run setup\` which starts it`, { cause });
  }
  for (const image of images) {
    try {
      await docker.getImage(image).inspect();
    } catch (cause) {
      throw new InfrastructureError(`image ${image} is missing; run \`npm run setup\` to pull or build it`, { cause });
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
    const modelsDir = join(projectRoot, '.build', 'models');
    const models = {
      fp32: await ensureModel(join(modelsDir, 'fp32'), 'fp32'),
      int8: await ensureModel(join(modelsDir, 'int8'), 'int8'),
    };
    const images = await ensureServiceImages({ baseImage: state.baseImage, modelsDir });
    return { images, toxiproxyImage: state.toxiproxyImage, models };
  })();
  prepared.catch(() => { prepared = undefined; });
  return prepared;
}
