// Builds a replica kind's own image, like the gateway presets' images: tagged by a hash of its inputs (the
// context's files, the base image), skipped when present. Setup builds those its scenarios name (`npm run setup`:
// all of them); a drill that uses another builds it on first use.
//
// Python wheels are fetched on the host with `pip download` and installed in the image with pip from those files
// (no index): containers here reach PyPI only through a TLS-intercepting proxy whose CA only the host trusts, and a
// machine that reaches PyPI directly loses nothing by it. Debian bookworm's python3 is 3.11, so wheels the host's
// python3 picks (cp311, manylinux x86_64) are the ones the image needs; a host on another Python is refused.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GenericContainer, getContainerRuntimeClient } from 'testcontainers';
import { $ } from 'zx';
import { InfrastructureError } from '../../errors';
import { cacheDir } from '../../setup/state';
import type { ReplicaImage } from '../parts';

/** The Python of Debian bookworm, which the image installs: the wheels must be for it. */
const IMAGE_PYTHON = '3.11';

/** The context's files, relative, sorted: what the image is built from. */
function contextFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (name === 'wheels' || name === '__pycache__') return [];
    return statSync(join(dir, name)).isDirectory() ? contextFiles(join(dir, name), rel) : [rel];
  });
}

export function replicaImageTag(recipe: ReplicaImage, baseImage: string): string {
  const hash = createHash('sha256').update(baseImage);
  for (const file of contextFiles(recipe.context)) hash.update(file).update(readFileSync(join(recipe.context, file)));
  return `failover-drill/replica-${recipe.name}:${hash.digest('hex').slice(0, 16)}`;
}

async function present(tag: string): Promise<boolean> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  return docker.getImage(tag).inspect().then(() => true, () => false);
}

/** Downloads the pinned wheels with the host's pip into the staged context's wheels/. */
async function downloadWheels(context: string, requirements: string): Promise<void> {
  const python = (await $({ quiet: true, nothrow: true })`python3 -c ${'import sys; print("%d.%d" % sys.version_info[:2])'}`).stdout.trim();
  if (python !== IMAGE_PYTHON) {
    throw new InfrastructureError(`the host's python3 is ${python || 'missing'}, and the image's wheels must be for Python ${IMAGE_PYTHON} (Debian bookworm): install python3 ${IMAGE_PYTHON} with pip`);
  }
  await $({ quiet: true })`python3 -m pip download --only-binary=:all: --disable-pip-version-check --dest ${join(context, 'wheels')} -r ${join(context, requirements)}`.timeout('600s');
}

/** A copy of the context beside the cache, with the wheels it needs. */
async function stage(recipe: ReplicaImage): Promise<string> {
  const context = join(cacheDir(), `replica-${recipe.name}`);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(join(context, 'wheels'), { recursive: true });
  for (const file of contextFiles(recipe.context)) cpSync(join(recipe.context, file), join(context, file));
  if (recipe.pipRequirements) await downloadWheels(context, recipe.pipRequirements);
  return context;
}

/** The image of a replica kind, built when no image with its input hash exists. */
export async function ensureReplicaImage(recipe: ReplicaImage, baseImage: string): Promise<string> {
  const tag = replicaImageTag(recipe, baseImage);
  if (await present(tag)) return tag;
  try {
    const context = await stage(recipe);
    await GenericContainer.fromDockerfile(context).withBuildArgs({ BASE_IMAGE: baseImage }).build(tag, { deleteOnExit: false });
  } catch (cause) {
    throw new InfrastructureError(`building the ${recipe.name} replica image ${tag} from ${recipe.context} (base ${baseImage}) failed: ${(cause as Error).message}`, { cause });
  }
  return tag;
}
