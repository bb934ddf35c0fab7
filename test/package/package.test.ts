// The package as a user gets it: packed, installed from the tarball into a scratch project outside this
// repository (with no network but the npm registry), scaffolded by `drill init`, and run by that project's own
// jest on real containers. Proves the tarball carries what a drill needs, onnxruntime-node's install downloads
// nothing, and the matchers pass a good drill and name the threshold that fails a bad one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';

interface Ran {
  status: number | null;
  output: string;
}

/**
 * The child sees none of npm's `npm_config_*` variables: run under `npm test` they carry this repository's
 * .npmrc (onnxruntime-node-install=skip), which a user's install does not have. The switch the README documents
 * is set instead.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip', CI: 'true' };
}

function run(cwd: string, command: string, args: string[], timeoutMs = 600_000): Ran {
  const result = spawnSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function ok(ran: Ran, what: string): string {
  if (ran.status !== 0) throw new Error(`${what} exited ${ran.status}:\n${ran.output.slice(-4000)}`);
  return ran.output;
}

describe('failover-drill installed in a user\'s project', () => {
  let work: string;
  let project: string;
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'drill-package-'));
    project = join(work, 'project');
    ok(run(projectRoot, 'npm', ['pack', '--pack-destination', work, '--silent']), 'npm pack');
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) as string);
    ok(run(work, 'mkdir', [project]), 'mkdir');
    // On Node 20 a user's project keeps testcontainers' undici at 7 (undici 8 needs Node 22), as the README says.
    const overrides = Number(process.versions.node.split('.')[0]) < 22 ? { overrides: { undici: '^7.30.2' } } : {};
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-service', version: '1.0.0', private: true, ...overrides }, null, 2));
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs from the tarball with no download outside the registry (onnxruntime-node skips its GPU files)', () => {
    ok(run(project, 'npm', ['install', '--no-audit', '--no-fund', tarball, 'jest@^30', 'typescript@~5.9', '@types/jest@^30', '@types/node@^20']), 'npm install');
    const ort = join(project, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
    expect(existsSync(join(ort, 'onnxruntime_binding.node'))).toBe(true);
    expect(existsSync(join(ort, 'libonnxruntime_providers_cuda.so'))).toBe(false);
  });

  it('gives TypeScript consumers the API, the scenario type and the matchers\' declarations', () => {
    writeFileSync(join(project, 'typed.ts'), [
      "import { runDrill, type DrillResult, type ScenarioInput } from 'failover-drill';",
      "import 'failover-drill/jest';",
      "const crash: ScenarioInput = { name: 'typed', description: 'd', load: { rate: 10, duration: '1s' }, thresholds: [{ metric: 'errors', max: 0 }] };",
      'export async function check(): Promise<void> {',
      '  const result: DrillResult = await runDrill(crash, { reportDir: "reports" });',
      '  expect(result).toFailOverWithin(500);',
      '  expect(result.thresholds[0]?.observed).toBeDefined();',
      '}',
      '',
    ].join('\n'));
    writeFileSync(join(project, 'wrong.ts'), "import type { ScenarioInput } from 'failover-drill';\nexport const s: ScenarioInput = { name: 'x', description: 'd', load: { rate: 'fast', duration: '1s' }, thresholds: [] };\n");
    const tsc = (file: string): Ran => run(project, 'npx', ['tsc', '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--types', 'jest,node', file]);
    ok(tsc('typed.ts'), 'tsc typed.ts');
    expect(tsc('wrong.ts').output).toMatch(/wrong\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
  });

  it('scaffolds with drill init, and the project\'s own jest runs the crash drill on real containers: it passes, then fails on an impossible threshold, naming it', () => {
    const init = ok(run(project, 'npx', ['drill', 'init']), 'drill init');
    expect(init).toContain('wrote    scenarios/crash.yaml');
    expect(ok(run(project, 'npx', ['drill', 'validate', 'scenarios']), 'drill validate')).toContain('ok  crash');

    expect(ok(run(project, 'npx', ['jest', '-t', 'crash.yaml']), 'jest, the crash drill')).toMatch(/✓ crash\.yaml/);
    expect(readFileSync(join(project, 'reports', 'crash', 'journal.json'), 'utf8')).toContain('"verdict":"pass"');

    const crash = join(project, 'scenarios', 'crash.yaml');
    writeFileSync(crash, readFileSync(crash, 'utf8').replace('{ metric: failoverMs, max: 1000 }', '{ metric: failoverMs, max: 0.001 }'));
    const failing = run(project, 'npx', ['jest', '-t', 'crash.yaml']);
    expect(failing.status).toBe(1);
    expect(failing.output).toContain('first failing threshold: failoverMs[run] <= 0.001');
    expect(failing.output).toContain(`HTML report: ${join(project, 'reports', 'crash', 'index.html')}`);
  });
});
