// The benchmarks run each service as its image does: the bundled main.js under plain node, not a TypeScript
// loader, whose own thread and garbage would be measured with it.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleService, type ServiceName } from '../harness/topology/images';
import { projectRoot } from '../harness/paths';

/** Writes the service's bundle under .build/bench/ (inside the project, so onnxruntime-node resolves) and returns its path. */
export async function deployedEntry(service: ServiceName): Promise<string> {
  const dir = join(projectRoot, '.build', 'bench');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${service}.js`);
  await writeFile(file, await bundleService(service));
  return file;
}
