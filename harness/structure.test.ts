// The house's structure, checked like any other behaviour: no module imports itself back through others, so
// each layer can be read (and replaced) without the ones that use it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import madge from 'madge';
import { projectRoot } from './paths';

const cyclesIn = async (paths: string[], baseDir: string): Promise<string[][]> =>
  (await madge(paths, { baseDir, fileExtensions: ['ts'], tsConfig: join(projectRoot, 'tsconfig.json') })).circular();

describe('module structure', () => {
  it('has no import cycle in the harness, the services, the benchmarks or the tests', async () => {
    const result = await madge(['harness', 'services', 'bench', 'test'], { baseDir: projectRoot, fileExtensions: ['ts'], tsConfig: join(projectRoot, 'tsconfig.json') });
    // Guards against a check that looks at nothing (a wrong base dir finds no cycle in no files).
    expect(Object.keys(result.obj()).length).toBeGreaterThan(100);
    expect(result.circular()).toEqual([]);
  }, 60_000);

  it('finds a cycle when there is one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cycle-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b();\n");
      writeFileSync(join(dir, 'b.ts'), "import { a } from './a';\nexport const b = (): unknown => a;\n");
      expect(await cyclesIn([dir], dir)).toEqual([['a.ts', 'b.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
