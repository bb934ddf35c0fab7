// Builds a gateway kind's own image, like the service images: tagged by a hash of its inputs (Dockerfile, base
// image, Go module), skipped when present. Setup builds those its scenarios name (`npm run setup`: all of them);
// a drill that uses another builds it on first use (Caddy's Go build takes ~90 s once; its cache stays).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { GenericContainer, getContainerRuntimeClient } from 'testcontainers';
import { InfrastructureError } from '../../errors';
import { cacheDir } from '../../setup/state';
import type { GatewayImage } from '../parts';

export function gatewayImageTag(recipe: GatewayImage, baseImage: string): string {
  const hash = createHash('sha256').update(recipe.dockerfile(baseImage)).update(baseImage).update(recipe.goModule ?? '');
  return `failover-drill/gateway-${recipe.name}:${hash.digest('hex').slice(0, 16)}`;
}

async function present(tag: string): Promise<boolean> {
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  return docker.getImage(tag).inspect().then(() => true, () => false);
}

/** The build context: the Dockerfile, the Go binary when there is one, and an empty tmp/ for FROM scratch images. */
async function stage(recipe: GatewayImage, baseImage: string): Promise<string> {
  const context = join(cacheDir(), `gateway-${recipe.name}`);
  mkdirSync(join(context, 'tmp'), { recursive: true });
  writeFileSync(join(context, 'Dockerfile'), recipe.dockerfile(baseImage));
  if (recipe.goModule) {
    await $({ quiet: true, env: { ...process.env, CGO_ENABLED: '0', GOBIN: context } })`go install ${recipe.goModule}`.timeout('900s');
  }
  return context;
}

/** The image of a gateway kind, built when no image with its input hash exists. */
export async function ensureGatewayImage(recipe: GatewayImage, baseImage: string): Promise<string> {
  const tag = gatewayImageTag(recipe, baseImage);
  if (await present(tag)) return tag;
  try {
    const context = await stage(recipe, baseImage);
    await GenericContainer.fromDockerfile(context).build(tag, { deleteOnExit: false });
  } catch (cause) {
    throw new InfrastructureError(`building the ${recipe.name} gateway image ${tag} failed: ${(cause as Error).message}`, { cause });
  }
  return tag;
}
