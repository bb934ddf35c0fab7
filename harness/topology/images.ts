// Builds the service images from services/*/Dockerfile. The build context is staged under .build/ and its
// content hash is the image tag, so an image is rebuilt only when its inputs (code, model, base) change.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { GenericContainer, getContainerRuntimeClient } from 'testcontainers';
import { InfrastructureError } from '../errors';
import { projectRoot } from '../paths';

export type ServiceName = 'inference' | 'router';

export interface ServiceImages {
  inference: string;
  router: string;
}

/** onnxruntime-node loads a native binary at run time, so it ships beside the bundle instead of inside it. */
function stageOnnxRuntime(appDir: string): void {
  const modules = join(projectRoot, 'node_modules');
  const ort = join(modules, 'onnxruntime-node');
  const target = join(appDir, 'node_modules', 'onnxruntime-node');
  for (const part of ['package.json', 'dist', join('bin', 'napi-v6', 'linux', 'x64')]) {
    cpSync(join(ort, part), join(target, part), { recursive: true });
  }
  cpSync(join(modules, 'onnxruntime-common'), join(appDir, 'node_modules', 'onnxruntime-common'), { recursive: true });
}

function hashTree(dir: string, hash = createHash('sha256'), root = dir): ReturnType<typeof createHash> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashTree(path, hash, root);
    else hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash;
}

async function stage(service: ServiceName, modelDir: string): Promise<string> {
  const context = join(projectRoot, '.build', 'images', service);
  rmSync(context, { recursive: true, force: true });
  const appDir = join(context, 'app');
  mkdirSync(appDir, { recursive: true });
  cpSync(join(projectRoot, 'services', service, 'Dockerfile'), join(context, 'Dockerfile'));
  await build({
    entryPoints: [join(projectRoot, 'services', service, 'main.ts')],
    outfile: join(appDir, 'main.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['onnxruntime-node'],
    logLevel: 'error',
    legalComments: 'none',
  });
  if (service === 'inference') {
    stageOnnxRuntime(appDir);
    cpSync(modelDir, join(context, 'model'), { recursive: true });
  }
  return context;
}

/** Returns the image tag for `service`, building it only when no image with that content hash exists. */
export async function ensureServiceImage(service: ServiceName, opts: { baseImage: string; modelDir: string }): Promise<string> {
  const context = await stage(service, opts.modelDir);
  const tag = `failover-drill/${service}:${hashTree(context).update(opts.baseImage).digest('hex').slice(0, 16)}`;
  const client = await getContainerRuntimeClient();
  try {
    await client.container.dockerode.getImage(tag).inspect();
    return tag;
  } catch {
    // not built yet
  }
  try {
    await GenericContainer.fromDockerfile(context).withBuildArgs({ BASE_IMAGE: opts.baseImage }).build(tag, { deleteOnExit: false });
  } catch (cause) {
    throw new InfrastructureError(`building image ${tag} from services/${service}/Dockerfile (base ${opts.baseImage}) failed: ${(cause as Error).message}`, { cause });
  }
  return tag;
}

export async function ensureServiceImages(opts: { baseImage: string; modelDir: string }): Promise<ServiceImages> {
  const [inference, router] = await Promise.all([ensureServiceImage('inference', opts), ensureServiceImage('router', opts)]);
  return { inference, router };
}
