// The benchmarks run each service as its image does: the bundled main.js under plain node, not a TypeScript
// loader, whose own thread and garbage would be measured with it (and whose helper process would outlive a
// SIGKILL of the process under test).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleService, type ServiceName } from '../harness/topology/images';
import { projectRoot } from '../harness/paths';

/** Writes the service's bundle under .build/bench/ (inside the project, so onnxruntime-node resolves) and returns its path. */
export async function deployedEntry(service: ServiceName): Promise<string> {
  return writeBundle(service, await bundleService(service));
}

/** The same for a process the benchmarks start themselves: `name` is a file of bench/ without its extension. */
export async function benchProcessEntry(name: string): Promise<string> {
  const result = await build({ entryPoints: [join(projectRoot, 'bench', `${name}.ts`)], write: false, outfile: `${name}.js`, bundle: true, platform: 'node', target: 'node20', logLevel: 'error' });
  return writeBundle(name, (result.outputFiles[0] as { contents: Uint8Array }).contents);
}

async function writeBundle(name: string, code: Uint8Array): Promise<string> {
  const dir = join(projectRoot, '.build', 'bench');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.js`);
  await writeFile(file, code);
  return file;
}
