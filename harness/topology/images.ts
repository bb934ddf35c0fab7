// Builds the service images from services/*/Dockerfile. The image tag is a hash of the build inputs (bundled
// code, Dockerfile, onnxruntime version, model, base image), so an image is rebuilt only when one changes,
// and the build context is staged in the user's cache (buildDir) only when a build is needed.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { GenericContainer, getContainerRuntimeClient } from 'testcontainers';
import { PRECISIONS } from '../../services/model/build';
import { InfrastructureError } from '../errors';
import { dependencyDir, projectRoot } from '../paths';
import { buildDir } from '../setup/state';

export type ServiceName = 'inference' | 'router';

export interface ServiceImages {
  inference: string;
  router: string;
}

interface ImageOptions {
  baseImage: string;
  /** One model directory per precision (fp32/, int8/), baked in at /models/. */
  modelsDir: string;
}

/** Copied into the inference image; hoisted beside this package when it is installed in a user's project. */
const onnxruntimeDir = (): string => dependencyDir('onnxruntime-node');

/**
 * The service and its dependencies in one file, as its image runs it (the benchmarks run it so too);
 * onnxruntime-node loads a native binary, so it stays outside.
 */
export async function bundleService(service: ServiceName): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(projectRoot, 'services', service, 'main.ts')],
    write: false,
    outfile: 'main.js',
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['onnxruntime-node'],
    logLevel: 'error',
    legalComments: 'none',
  });
  return (result.outputFiles[0] as { contents: Uint8Array }).contents;
}

function imageTag(service: ServiceName, code: Uint8Array, opts: ImageOptions): string {
  const hash = createHash('sha256')
    .update(readFileSync(join(projectRoot, 'services', service, 'Dockerfile')))
    .update(code)
    .update(opts.baseImage);
  if (service === 'inference') {
    hash.update(readFileSync(join(onnxruntimeDir(), 'package.json')));
    // A manifest carries its weights' sha256, so it stands for its whole model directory.
    for (const precision of PRECISIONS) hash.update(precision).update(readFileSync(join(opts.modelsDir, precision, 'manifest.json')));
  }
  return `failover-drill/${service}:${hash.digest('hex').slice(0, 16)}`;
}

function stage(service: ServiceName, code: Uint8Array, opts: ImageOptions): string {
  const context = buildDir('images', service);
  rmSync(context, { recursive: true, force: true });
  const appDir = join(context, 'app');
  mkdirSync(appDir, { recursive: true });
  cpSync(join(projectRoot, 'services', service, 'Dockerfile'), join(context, 'Dockerfile'));
  writeFileSync(join(appDir, 'main.js'), code);
  if (service === 'inference') {
    const ort = onnxruntimeDir();
    const target = join(appDir, 'node_modules', 'onnxruntime-node');
    for (const part of ['package.json', 'dist', join('bin', 'napi-v6', 'linux', 'x64')]) cpSync(join(ort, part), join(target, part), { recursive: true });
    cpSync(dependencyDir('onnxruntime-common', ort), join(appDir, 'node_modules', 'onnxruntime-common'), { recursive: true });
    // Only the precisions the image serves: a sized model kept elsewhere in the cache (1 GB and more) never rides along.
    for (const precision of PRECISIONS) cpSync(join(opts.modelsDir, precision), join(context, 'models', precision), { recursive: true });
  }
  return context;
}

/** Returns the image tag for `service`, building it only when no image with that input hash exists. */
export async function ensureServiceImage(service: ServiceName, opts: ImageOptions): Promise<string> {
  const code = await bundleService(service);
  const tag = imageTag(service, code, opts);
  const client = await getContainerRuntimeClient();
  try {
    await client.container.dockerode.getImage(tag).inspect();
    return tag;
  } catch {
    // not built yet
  }
  const context = stage(service, code, opts);
  try {
    await GenericContainer.fromDockerfile(context).withBuildArgs({ BASE_IMAGE: opts.baseImage }).build(tag, { deleteOnExit: false });
  } catch (cause) {
    throw new InfrastructureError(`building image ${tag} from services/${service}/Dockerfile (base ${opts.baseImage}) failed: ${(cause as Error).message}`, { cause });
  }
  return tag;
}

export async function ensureServiceImages(opts: ImageOptions): Promise<ServiceImages> {
  const [inference, router] = await Promise.all([ensureServiceImage('inference', opts), ensureServiceImage('router', opts)]);
  return { inference, router };
}
