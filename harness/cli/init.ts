// `drill init [DIR]`: starter drills, a jest test that runs them through the API, and CI configuration for a
// project that installed failover-drill. Never overwrites: a file that exists is reported as skipped. On a Node
// older than undici 8 supports, it adds the undici override to package.json (undici-check.ts) unless one is there.
// It loads no testcontainers, so it runs where testcontainers cannot load yet (bin.ts): it writes the fix.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ExitCode, InvalidInputError, isInvalidInputError } from '../errors';
import { projectRoot } from '../paths';
import { UNDICI_8_MIN_NODE, UNDICI_OVERRIDE_JSON, UNDICI_OVERRIDE_RANGE, needsUndiciOverride } from '../undici-check';

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
  /** The Node the project runs on, which decides whether it needs the undici override; default: this one. */
  nodeVersion?: string;
}

/** What init did about package.json's `overrides.undici` on a Node older than undici 8 supports. */
export type UndiciOverride =
  | { action: 'added' }
  /** An entry was there and was left as it was. */
  | { action: 'kept'; existing: unknown }
  /** The project depends on undici itself; npm refuses an override that differs from a direct dependency. */
  | { action: 'direct-dependency'; range: string }
  | { action: 'no-package-json' };

export interface InitOutcome {
  written: string[];
  /** Files that existed and were left as they were. */
  skipped: string[];
  /** Absent when this Node needs no override. */
  undiciOverride?: UndiciOverride;
}

interface PackageJson {
  overrides?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Adds `overrides.undici` to DIR/package.json, keeping its indentation; never replaces an entry that exists. */
export function addUndiciOverride(dir: string): UndiciOverride {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return { action: 'no-package-json' };
  const text = readFileSync(file, 'utf8');
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(text) as PackageJson;
  } catch (e) {
    throw new InvalidInputError(`${file}: not valid JSON, so the undici override cannot be added: ${(e as Error).message}`);
  }
  if (pkg.overrides?.undici !== undefined) return { action: 'kept', existing: pkg.overrides.undici };
  const direct = pkg.dependencies?.undici ?? pkg.devDependencies?.undici ?? pkg.optionalDependencies?.undici;
  if (direct !== undefined) return { action: 'direct-dependency', range: direct };
  pkg.overrides = { ...(typeof pkg.overrides === 'object' && pkg.overrides !== null ? pkg.overrides : {}), undici: UNDICI_OVERRIDE_RANGE };
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? 2;
  writeFileSync(file, `${JSON.stringify(pkg, null, indent)}\n`);
  return { action: 'added' };
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
  if (needsUndiciOverride(opts.nodeVersion)) outcome.undiciOverride = addUndiciOverride(dir);
  return outcome;
}

/** What init says about the undici override, one line. */
function undiciOverrideLine(outcome: UndiciOverride, shown: string): string {
  const pkg = join(shown, 'package.json');
  const why = `Node ${process.versions.node} is older than ${UNDICI_8_MIN_NODE}, which the undici 8 that testcontainers depends on needs (it fails at import)`;
  switch (outcome.action) {
    case 'added': return `added    ${pkg} ${UNDICI_OVERRIDE_JSON} (${why}); apply it with npm dedupe: a plain npm install keeps the undici in package-lock.json`;
    case 'kept': return `skipped  ${pkg} overrides.undici (exists: ${JSON.stringify(outcome.existing)}; ${why}, so it must allow ${UNDICI_OVERRIDE_RANGE})`;
    case 'direct-dependency': return `skipped  ${pkg} overrides.undici (your dependency undici@${outcome.range} must match an override of it, as npm requires: ${why}, so make that dependency ${UNDICI_OVERRIDE_RANGE} and add "overrides": { "undici": "$undici" })`;
    case 'no-package-json': return `add      to ${pkg}, which does not exist: ${UNDICI_OVERRIDE_JSON} (${why})`;
  }
}

export function initCommand(): Command {
  return new Command('init')
    .description('write starter drills (scenarios/), a jest test running them, and CI configuration (GitHub Actions, GitLab); never overwrites')
    .argument('[dir]', 'the project to write into', '.')
    .option('--gateway-image <image>', 'your gateway image (default: the reference gateway)')
    .option('--inference-image <image>', 'your model-server image (default: the reference inference server)')
    .action((dir: string, opts: InitOptions) => {
      const root = resolve(dir);
      const { written, skipped, undiciOverride } = init(root, opts);
      const shown = relative(process.cwd(), root) || '.';
      for (const file of written) console.log(`wrote    ${join(shown, file)}`);
      for (const file of skipped) console.log(`skipped  ${join(shown, file)} (exists${file === 'jest.config.js' ? ', or jest is configured elsewhere: add failover-drill/jest as setupFilesAfterEnv, failover-drill/jest/global-setup as globalSetup, failover-drill/jest/environment as testEnvironment' : ''})`);
      if (undiciOverride) console.log(undiciOverrideLine(undiciOverride, shown));
      console.log(`drill: next: ${undiciOverride?.action === 'added' ? 'npm dedupe (applies the override), ' : ''}npm install --save-dev jest, then npx jest (or npx drill run scenarios)`);
    });
}

/** `drill init` alone, for when the other commands cannot load (bin.ts): the same command, and exit codes as main's. */
export async function initMain(argv: readonly string[]): Promise<number> {
  const drill = new Command('drill').exitOverride().showHelpAfterError();
  drill.addCommand(initCommand());
  try {
    await drill.parseAsync(argv as string[]);
    return ExitCode.pass;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.pass : ExitCode.invalidInput;
    console.error(`drill: ${(e as Error).message}`);
    return isInvalidInputError(e) ? ExitCode.invalidInput : ExitCode.infrastructure;
  }
}
