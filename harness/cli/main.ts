// `drill`: run, validate and list drills; build models; serve the reference services.
import { dirname, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { inferenceCommand } from '../../services/inference/main';
import { routerCommand } from '../../services/router/main';
import { parseInteger } from '../../services/common/cli';
import { ExitCode, isInfrastructureError, isInvalidInputError } from '../errors';
import { isFlaky } from '../report/attempts';
import { drillSummaryText } from '../report/text';
import { readJournal, writeJournal, writeRunReports } from '../report/write';
import type { Journal } from '../report/journal';
import { MAX_RETRIES, parseRetries, runWithRetries } from '../retry';
import { runScenario } from '../runner';
import { renderScenarioJsonSchema } from '../scenario/json-schema';
import { loadScenarios } from '../scenario/load';
import { parseShard, selectShard, type Shard } from '../scenario/shard';
import { applyTestcontainersEnv, readSetupState } from '../setup/state';
import { sweep } from '../topology/cleanup';
import { TopologyPool } from '../topology/pool';
import { initCommand } from './init';
import { interruptOnSignal } from './interrupt';
import { compareCommand } from './compare';
import { modelCommand } from './model';
import { progressReporter } from './progress';
import { setupCommand } from './setup';

const nonNegativeInt = parseInteger(0);

interface RunCliOptions {
  reportDir: string;
  keep: boolean;
  seed?: number;
  shard?: Shard;
  retries: number;
  failOnFlaky: boolean;
}

async function run(paths: string[], opts: RunCliOptions): Promise<number> {
  const all = loadScenarios(paths);
  const scenarios = (opts.shard ? selectShard(all, opts.shard) : all).map((s) => (opts.seed === undefined ? s : { ...s, load: { ...s.load, requests: { ...s.load.requests, seed: opts.seed } } }));
  const reportDir = resolve(opts.reportDir);
  const controller = new AbortController();
  const release = interruptOnSignal(controller);
  const progress = progressReporter();
  const journals: Journal[] = [];
  // Consecutive drills share a topology (reset between them); the last one is removed before the verdict.
  const topologies = new TopologyPool();
  try {
    for (const scenario of scenarios) {
      if (controller.signal.aborted) break;
      const journal = await runWithRetries(() => runScenario(scenario, { onEvent: (e) => progress.onEvent(e), signal: controller.signal, keep: opts.keep, topologies }), {
        retries: opts.retries,
        reportDir,
        signal: controller.signal,
        onRetry: (failed, attempt) => {
          progress.stop();
          console.log(drillSummaryText(failed));
          console.log(`drill: ${scenario.name}: attempt ${attempt} of ${opts.retries + 1} ${failed.verdict === 'fail' ? 'failed' : 'errored'}; running it again (--retries)`);
        },
      });
      progress.stop();
      journals.push(journal);
      writeJournal(reportDir, journal);
      writeRunReports(reportDir, journals);
      console.log(drillSummaryText(journal));
    }
  } finally {
    progress.stop();
    await topologies[Symbol.asyncDispose]();
    release();
  }
  const count = (v: Journal['verdict']): number => journals.filter((j) => j.verdict === v).length;
  const flaky = journals.filter(isFlaky);
  console.log(`drill: ${count('pass')} passed (${flaky.length} flaky), ${count('fail')} failed, ${count('error')} errored; reports in ${reportDir} (index.html, junit.xml, summary.md, <drill>/index.html and journal.json)`);
  if (opts.failOnFlaky && flaky.length > 0) console.log(`drill: --fail-on-flaky: ${flaky.map((j) => j.scenario.name).join(', ')} passed only after failing`);
  return runExitCode(journals, { interrupted: controller.signal.aborted, failOnFlaky: opts.failOnFlaky });
}

/** 130 interrupted, 3 a drill errored, 1 a drill failed (or, with failOnFlaky, passed only when run again), else 0. */
export function runExitCode(journals: readonly Journal[], opts: { interrupted: boolean; failOnFlaky: boolean }): number {
  if (opts.interrupted) return ExitCode.interrupted;
  if (journals.some((j) => j.verdict === 'error')) return ExitCode.infrastructure;
  if (journals.some((j) => j.verdict === 'fail')) return ExitCode.thresholdFailed;
  return opts.failOnFlaky && journals.some(isFlaky) ? ExitCode.thresholdFailed : ExitCode.pass;
}

/** Re-renders reports from journals: each drill's own, and the run-level ones in --report-dir. */
function report(files: string[], opts: { reportDir?: string }): void {
  const journals = files.map(readJournal);
  const reportDir = resolve(opts.reportDir ?? dirname(dirname(resolve(files[0] as string))));
  for (const journal of journals) writeJournal(reportDir, journal);
  writeRunReports(reportDir, journals);
  for (const journal of journals) console.log(drillSummaryText(journal));
  console.log(`drill: reports for ${journals.length} drill(s) in ${reportDir}`);
}

export function program(): Command {
  const drill = new Command('drill')
    .description('Disaster-recovery drills for model serving: break a real inference deployment under load and measure how it recovers.')
    .exitOverride()
    .showHelpAfterError();

  drill.command('run')
    .description('run drills (scenario files or directories of them) and write reports; exit 0 pass, 1 a threshold failed, 2 invalid input, 3 infrastructure error, 130 interrupted')
    .argument('<paths...>', 'scenario files (*.yaml) or directories')
    .option('--report-dir <dir>', 'where index.html, junit.xml, summary.md and <drill>/{index.html,journal.json} go', 'reports')
    .option('--seed <n>', 'seed of the request set, overriding each scenario\'s load.requests.seed', nonNegativeInt)
    .option('--shard <i/n>', 'run only shard i of n (drills sorted by name, dealt round-robin): split the drills across CI machines', (v: string) => parseShard(v))
    .option('--keep', 'leave the topology running after each drill and print how to reach it (remove with `drill clean`)', false)
    .option('--retries <n>', `run a drill that failed or errored again, up to n more times (0 to ${MAX_RETRIES}); one that then passes is reported as flaky, its failed runs kept in <drill>/attempt-<i>/`, (v: string) => parseRetries(v), 0)
    .option('--fail-on-flaky', 'exit 1 when a drill passed only after failing (with --retries)', false)
    .action(async (paths: string[], opts: RunCliOptions) => { drill.setOptionValue('exitCode', await run(paths, opts)); });

  drill.command('report')
    .description('re-render reports (junit.xml, summary.md, per-drill pages) from journal.json files')
    .argument('<journals...>', 'journal.json files written by `drill run`')
    .option('--report-dir <dir>', 'where to write the run-level reports (default: the directory above the first journal\'s)')
    .action((files: string[], opts: { reportDir?: string }) => report(files, opts));

  drill.command('validate')
    .description('check scenario files without starting anything')
    .argument('<paths...>', 'scenario files or directories')
    .action((paths: string[]) => {
      const scenarios = loadScenarios(paths);
      for (const s of scenarios) console.log(`ok  ${s.name}  ${s.file}`);
    });

  drill.command('list')
    .description('list drills with their descriptions')
    .argument('[paths...]', 'scenario files or directories', ['scenarios'])
    .action((paths: string[]) => {
      for (const s of loadScenarios(paths)) console.log(`${s.name.padEnd(28)} ${s.description}`);
    });

  drill.command('schema')
    .description('print the JSON Schema of scenario files (scenarios/schema.json is this output)')
    .action(() => { process.stdout.write(renderScenarioJsonSchema()); });

  drill.command('clean')
    .description('remove every container and network labelled by failover-drill runs')
    .action(async () => {
      applyTestcontainersEnv(readSetupState());
      const removed = await sweep({ onlyDead: false });
      console.log(`drill: removed ${removed.containers} container(s) and ${removed.networks} network(s)`);
    });

  drill.addCommand(modelCommand());
  drill.addCommand(compareCommand());
  drill.addCommand(initCommand());
  drill.addCommand(setupCommand());

  const serve = drill.command('serve').description('run a reference service in the foreground');
  serve.addCommand(inferenceCommand().name('inference'));
  serve.addCommand(routerCommand().name('router'));
  return drill;
}

export async function main(argv: readonly string[]): Promise<number> {
  const drill = program();
  try {
    await drill.parseAsync(argv as string[]);
    return (drill.getOptionValue('exitCode') as number | undefined) ?? ExitCode.pass;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.pass : ExitCode.invalidInput;
    if (isInvalidInputError(e)) {
      console.error(`drill: ${e.message}`);
      return ExitCode.invalidInput;
    }
    if (isInfrastructureError(e)) {
      console.error(`drill: ${e.message}`);
      return ExitCode.infrastructure;
    }
    console.error(`drill: unexpected error: ${(e as Error).stack ?? String(e)}`);
    return ExitCode.infrastructure;
  }
}
