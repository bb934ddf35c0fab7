// failover-drill's public API (`import { runDrill } from 'failover-drill'`): run drills from a project's own
// tests, with scenarios written as YAML files or as typed objects, and get each drill's verdict, measurements and
// report paths back. `drill run` is the same runner behind a command line.
// First: stops with why and the fix when testcontainers cannot load on this Node (undici-check.ts).
import './undici-guard';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Journal, Verdict } from './report/journal';
import { writeJournal, writeRunReports } from './report/write';
import { runWithRetries } from './retry';
import { runScenario, type RunEvent } from './runner';
import { loadScenario, loadScenarios, parseScenario, type Scenario } from './scenario/load';
import type { ScenarioInput } from './scenario/schema';
import { TopologyPool } from './topology/pool';
import type { ThresholdResult } from './measure/thresholds';

export type { ScenarioInput } from './scenario/schema';
export type { Scenario, ScenarioProblem } from './scenario/load';
export type { Journal, Verdict } from './report/journal';
export type { ThresholdResult } from './measure/thresholds';
export type { RunEvent, RunPhase } from './runner';
export { ScenarioError } from './scenario/load';
export { InfrastructureError, InvalidInputError, isInfrastructureError, isInvalidInputError } from './errors';
export { drillSummaryText } from './report/text';

export interface DrillOptions {
  /** Where `<drill>/journal.json` and `<drill>/index.html` go (runDrills adds junit.xml, summary.md, index.html). Default: `reports`, relative to the working directory. */
  reportDir?: string;
  /** Run a drill that failed or errored again, up to this many more times; a later pass is reported as flaky. Default 0. */
  retries?: number;
  /** Leave each topology running after its drill (remove with `drill clean`). */
  keep?: boolean;
  /** Told of each phase of each drill as it starts. */
  onEvent?: (event: RunEvent) => void;
  /** Stops the drill in progress: faults reverted, topology removed, a partial journal returned. */
  signal?: AbortSignal;
}

/** What a drill found, and where its reports are. */
export interface DrillResult {
  name: string;
  verdict: Verdict;
  /** Absent when the drill errored before its load ran. */
  measurements: Journal['measurements'];
  thresholds: ThresholdResult[];
  /** The first failing threshold or the step that errored, with why; absent when the drill passed. */
  firstFailure?: string;
  journalPath: string;
  htmlPath: string;
  /** The whole record, as journal.json holds it. */
  journal: Journal;
}

/**
 * A scenario object checked as a scenario file is, with the same field-named errors (ScenarioError). `name`
 * labels it in those errors in place of a file name; relative paths in it (topology.model) are resolved against
 * the working directory. Line numbers in errors refer to the object written out as YAML.
 */
export function scenarioFromObject(input: ScenarioInput, name = `<object ${input.name ?? 'without a name'}>`): Scenario {
  return parseScenario(stringify(input), name);
}

const toScenario = (fileOrScenario: string | ScenarioInput): Scenario =>
  typeof fileOrScenario === 'string' ? loadScenario(resolve(fileOrScenario)) : scenarioFromObject(fileOrScenario);

async function runOne(scenario: Scenario, reportDir: string, opts: DrillOptions, topologies?: TopologyPool): Promise<DrillResult> {
  const run = (): Promise<Journal> => runScenario(scenario, {
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(topologies ? { topologies } : {}),
    keep: opts.keep === true,
  });
  const journal = await runWithRetries(run, { retries: opts.retries ?? 0, reportDir, ...(opts.signal ? { signal: opts.signal } : {}) });
  const journalPath = writeJournal(reportDir, journal);
  return {
    name: journal.scenario.name,
    verdict: journal.verdict,
    measurements: journal.measurements,
    thresholds: journal.thresholds,
    ...(journal.diagnosis.firstFailure === undefined ? {} : { firstFailure: journal.diagnosis.firstFailure }),
    journalPath,
    htmlPath: join(reportDir, journal.scenario.name, 'index.html'),
    journal,
  };
}

/**
 * Runs one drill on a topology of its own (removed afterwards) and writes its journal and HTML page. Throws
 * ScenarioError (an InvalidInputError) for a bad scenario before anything starts; an infrastructure problem
 * during the drill is a result with verdict "error", not a throw.
 */
export async function runDrill(fileOrScenario: string | ScenarioInput, options: DrillOptions = {}): Promise<DrillResult> {
  return runOne(toScenario(fileOrScenario), resolve(options.reportDir ?? 'reports'), options);
}

/**
 * Runs several drills as `drill run` does: every scenario is validated before the first starts, consecutive
 * drills share a topology (reset between them), and junit.xml, summary.md and index.html are written for the lot.
 * A directory stands for its *.yaml files; objects are validated as files are and run after the files.
 */
export async function runDrills(dirsFilesOrScenarios: string | readonly (string | ScenarioInput)[], options: DrillOptions = {}): Promise<DrillResult[]> {
  const items = typeof dirsFilesOrScenarios === 'string' ? [dirsFilesOrScenarios] : dirsFilesOrScenarios;
  const paths = items.filter((item): item is string => typeof item === 'string');
  const objects = items.filter((item): item is ScenarioInput => typeof item !== 'string');
  // Files first, all loaded together so one error lists every broken file; then the objects, in order.
  const scenarios = [...(paths.length ? loadScenarios(paths) : []), ...objects.map((o) => scenarioFromObject(o))];
  const reportDir = resolve(options.reportDir ?? 'reports');
  const results: DrillResult[] = [];
  const topologies = new TopologyPool();
  try {
    for (const scenario of scenarios) {
      if (options.signal?.aborted) break;
      results.push(await runOne(scenario, reportDir, options, topologies));
      writeRunReports(reportDir, results.map((r) => r.journal));
    }
  } finally {
    await topologies[Symbol.asyncDispose]();
  }
  return results;
}
