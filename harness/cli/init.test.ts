import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadScenarios } from '../scenario/load';
import { actionlintPath } from '../setup/actionlint';
import { gitlabCiLintPath } from '../setup/gitlab-ci-lint';
import { INIT_FILES, init } from './init';

describe('drill init', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'drill-init-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes starter drills that validate, with the reference images when none are named', () => {
    expect(init(dir)).toMatchObject({ written: [...INIT_FILES], skipped: [] });
    const scenarios = loadScenarios([join(dir, 'scenarios')]);
    expect(scenarios.map((s) => s.name)).toEqual(['corrupted-weights', 'crash', 'slow-primary']);
    expect(scenarios.map((s) => s.faults[0]?.fault)).toEqual(['corrupt-weights', 'crash', 'latency']);
    for (const s of scenarios) expect(s.topology.images).toBeUndefined();
  });

  it('points the drills at the images the user names', () => {
    init(dir, { gatewayImage: 'acme/gateway:1.2', inferenceImage: 'acme/ranker:3' });
    for (const s of loadScenarios([join(dir, 'scenarios')])) expect(s.topology.images).toEqual({ inference: 'acme/ranker:3', router: 'acme/gateway:1.2' });
  });

  it('never overwrites, and says what it skipped', () => {
    writeFileSync(join(dir, '.gitlab-ci.yml'), 'mine\n');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ jest: { testTimeout: 5 } }));
    const first = init(dir);
    expect(first.skipped).toEqual(['jest.config.js', '.gitlab-ci.yml']);
    expect(readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8')).toBe('mine\n');
    expect(existsSync(join(dir, 'jest.config.js'))).toBe(false);
    expect(init(dir)).toMatchObject({ written: [], skipped: [...INIT_FILES] });
  });

  describe('on a Node older than 22.19, where testcontainers\' undici 8 cannot load', () => {
    const node20 = { nodeVersion: '20.20.2' };
    const pkg = (): string => join(dir, 'package.json');

    it('adds the undici override to package.json, keeping what is there and its indentation', () => {
      writeFileSync(pkg(), `${JSON.stringify({ name: 'svc', overrides: { foo: '1.0.0' }, devDependencies: { jest: '^30' } }, null, 4)}\n`);
      expect(init(dir, node20).undiciOverride).toEqual({ action: 'added' });
      const text = readFileSync(pkg(), 'utf8');
      expect(JSON.parse(text)).toEqual({ name: 'svc', overrides: { foo: '1.0.0', undici: '^7.30.2' }, devDependencies: { jest: '^30' } });
      expect(text).toContain('\n    "overrides": {\n        "foo": "1.0.0",\n        "undici": "^7.30.2"\n    },');
      expect(text.endsWith('}\n')).toBe(true);
      // Run again, it finds its own entry and leaves it.
      expect(init(dir, node20).undiciOverride).toEqual({ action: 'kept', existing: '^7.30.2' });
    });

    it('adds overrides to a package.json that has none', () => {
      writeFileSync(pkg(), JSON.stringify({ name: 'svc', private: true }, null, 2));
      init(dir, node20);
      expect(JSON.parse(readFileSync(pkg(), 'utf8'))).toEqual({ name: 'svc', private: true, overrides: { undici: '^7.30.2' } });
    });

    it('never overwrites an undici override that exists, whatever it says', () => {
      const text = JSON.stringify({ name: 'svc', overrides: { undici: '8.13.1' } });
      writeFileSync(pkg(), text);
      expect(init(dir, node20).undiciOverride).toEqual({ action: 'kept', existing: '8.13.1' });
      expect(readFileSync(pkg(), 'utf8')).toBe(text);
    });

    it('leaves package.json alone when the project depends on undici itself (npm refuses an override that differs)', () => {
      const text = JSON.stringify({ name: 'svc', dependencies: { undici: '^6.0.0' } });
      writeFileSync(pkg(), text);
      expect(init(dir, node20).undiciOverride).toEqual({ action: 'direct-dependency', range: '^6.0.0' });
      expect(readFileSync(pkg(), 'utf8')).toBe(text);
    });

    it('says so when there is no package.json to add it to', () => {
      expect(init(dir, node20).undiciOverride).toEqual({ action: 'no-package-json' });
      expect(existsSync(pkg())).toBe(false);
    });

    it('adds nothing on Node 22.19 and newer', () => {
      const text = JSON.stringify({ name: 'svc' });
      writeFileSync(pkg(), text);
      for (const nodeVersion of ['22.19.0', '26.12.0']) expect(init(dir, { nodeVersion }).undiciOverride).toBeUndefined();
      expect(readFileSync(pkg(), 'utf8')).toBe(text);
    });
  });

  it('writes a GitHub Actions workflow that actionlint accepts, running the user\'s drills', () => {
    init(dir);
    const workflow = join(dir, '.github', 'workflows', 'resilience.yml');
    const linter = actionlintPath();
    if (!existsSync(linter)) throw new Error(`${linter} is missing: run \`npm run setup\` (it builds actionlint)`);
    // Exit status 0 with no output: actionlint prints one line per problem and exits 1.
    expect(execFileSync(linter, ['-no-color', workflow], { encoding: 'utf8' })).toBe('');
    expect(readFileSync(workflow, 'utf8')).toContain('run: npx drill run scenarios --report-dir reports');
    writeFileSync(workflow, readFileSync(workflow, 'utf8').replace('runs-on: ubuntu-latest', 'runs-on: [ubuntu-latest'));
    expect(() => execFileSync(linter, ['-no-color', workflow], { encoding: 'utf8' })).toThrow();
  });

  it('writes a GitLab job that GitLab\'s CI schema accepts, publishing the JUnit report', () => {
    init(dir);
    const file = join(dir, '.gitlab-ci.yml');
    const linter = gitlabCiLintPath();
    if (!existsSync(linter)) throw new Error(`${linter} is missing: run \`npm run setup\` (it installs GitLab's CI schema with its validator)`);
    // It prints each problem (path and schema message, in colour) and exits 1.
    const lint = (): { status: number | null; output: string } => {
      const ran = spawnSync(linter, [file], { encoding: 'utf8' });
      return { status: ran.status, output: `${ran.stdout}${ran.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
    };
    expect(lint()).toEqual({ status: 0, output: 'ok -- validation done\n' });
    const job = (parse(readFileSync(file, 'utf8')) as Record<string, { script: string[]; artifacts: { when: string; reports: { junit: string } } }>).resilience;
    expect(job?.script).toContain('npx drill run scenarios --report-dir reports');
    expect(job?.artifacts).toMatchObject({ when: 'always', reports: { junit: 'reports/junit.xml' } });
    writeFileSync(file, readFileSync(file, 'utf8').replace('when: always', 'when: sometimes'));
    const refused = lint();
    expect(refused.status).toBe(1);
    expect(refused.output).toContain(`${file}::resilience.artifacts.when: 'sometimes' is not valid under any of the given schemas`);
  });
});
