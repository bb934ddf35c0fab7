// `drill init [DIR]`: starter drills, a jest test that runs them through the API, and CI configuration for a
// project that installed failover-drill. Never overwrites: a file that exists is reported as skipped.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { projectRoot } from '../paths';

export const TEMPLATES_DIR = join(projectRoot, 'harness', 'cli', 'init-templates');

/** What init writes, relative to DIR; each is its template's path too. */
export const INIT_FILES = [
  'scenarios/crash.yaml',
  'scenarios/slow-primary.yaml',
  'scenarios/corrupted-weights.yaml',
  'resilience.test.js',
  'jest.config.js',
  '.github/workflows/resilience.yml',
  '.gitlab-ci.yml',
] as const;

export interface InitOptions {
  /** The user's gateway image (the scenario's topology.images.router); default: the reference gateway. */
  gatewayImage?: string;
  /** The user's model-server image (topology.images.inference); default: the reference server. */
  inferenceImage?: string;
}

export interface InitOutcome {
  written: string[];
  /** Files that existed and were left as they were. */
  skipped: string[];
}

/** The scenario's topology block naming the user's images; empty for the reference ones. */
function topologyBlock(opts: InitOptions): string {
  const images = [['inference', opts.inferenceImage], ['router', opts.gatewayImage]].filter(([, image]) => image);
  if (images.length === 0) return '';
  return `topology:\n  images:\n${images.map(([key, image]) => `    ${key}: ${JSON.stringify(image)}\n`).join('')}`;
}

/** A jest configuration elsewhere would make jest refuse to choose between two. */
function hasJestConfig(dir: string): boolean {
  if (['js', 'ts', 'mjs', 'cjs', 'json'].some((ext) => existsSync(join(dir, `jest.config.${ext}`)))) return true;
  const pkg = join(dir, 'package.json');
  return existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { jest?: unknown }).jest !== undefined;
}

export function init(dir: string, opts: InitOptions = {}): InitOutcome {
  const outcome: InitOutcome = { written: [], skipped: [] };
  for (const file of INIT_FILES) {
    const target = join(dir, file);
    if (existsSync(target) || (file === 'jest.config.js' && hasJestConfig(dir))) {
      outcome.skipped.push(file);
      continue;
    }
    const text = readFileSync(join(TEMPLATES_DIR, file), 'utf8').replace('{{topology}}', topologyBlock(opts));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    outcome.written.push(file);
  }
  return outcome;
}

export function initCommand(): Command {
  return new Command('init')
    .description('write starter drills (scenarios/), a jest test running them, and CI configuration (GitHub Actions, GitLab); never overwrites')
    .argument('[dir]', 'the project to write into', '.')
    .option('--gateway-image <image>', 'your gateway image (default: the reference gateway)')
    .option('--inference-image <image>', 'your model-server image (default: the reference inference server)')
    .action((dir: string, opts: InitOptions) => {
      const root = resolve(dir);
      const { written, skipped } = init(root, opts);
      const shown = relative(process.cwd(), root) || '.';
      for (const file of written) console.log(`wrote    ${join(shown, file)}`);
      for (const file of skipped) console.log(`skipped  ${join(shown, file)} (exists${file === 'jest.config.js' ? ', or jest is configured elsewhere: add failover-drill/jest as setupFilesAfterEnv, failover-drill/jest/global-setup as globalSetup, failover-drill/jest/environment as testEnvironment' : ''})`);
      console.log('drill: next: npm install --save-dev jest, then npx jest (or npx drill run scenarios)');
    });
}
