// `drill`: run, validate and list drills; build models; serve the reference services.
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { inferenceCommand } from '../../services/inference/main';
import { routerCommand } from '../../services/router/main';
import { writeModelDir } from '../../services/model/build';
import { ExitCode, InvalidInputError, isInfrastructureError, isInvalidInputError } from '../errors';
import { drillSummaryText } from '../report/junit';
import { writeJournal, writeRunReports } from '../report/write';
import type { Journal } from '../report/journal';
import { activeRuns, runScenario } from '../runner';
import { renderScenarioJsonSchema } from '../scenario/json-schema';
import { loadScenarios } from '../scenario/load';
import { applyTestcontainersEnv, readSetupState } from '../setup/state';
import { sweep } from '../topology/cleanup';

const positiveInt = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError(`${flag} must be a non-negative integer, got "${value}"`);
  return n;
};

/** On Ctrl-C or SIGTERM: remove what the runs in progress started, then exit 130. */
function removeRunsOnSignal(): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\ndrill: ${signal}: removing containers and networks of ${activeRuns.size} run(s) in progress`);
    Promise.all([...activeRuns].map((runId) => sweep({ onlyDead: false, runId })))
      .finally(() => process.exit(ExitCode.interrupted));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

async function run(paths: string[], opts: { reportDir: string }): Promise<number> {
  const scenarios = loadScenarios(paths);
  const reportDir = resolve(opts.reportDir);
  removeRunsOnSignal();
  const journals: Journal[] = [];
  for (const scenario of scenarios) {
    const journal = await runScenario(scenario, { log: (line) => console.log(`drill: ${line}`) });
    journals.push(journal);
    writeJournal(reportDir, journal);
    writeRunReports(reportDir, journals);
    console.log(drillSummaryText(journal));
  }
  const failed = journals.filter((j) => j.verdict === 'fail').length;
  const errored = journals.filter((j) => j.verdict === 'error').length;
  console.log(`drill: ${journals.length - failed - errored} passed, ${failed} failed, ${errored} errored; reports in ${reportDir} (junit.xml, summary.md, <drill>/journal.json)`);
  if (errored > 0) return ExitCode.infrastructure;
  return failed > 0 ? ExitCode.thresholdFailed : ExitCode.pass;
}

export function program(): Command {
  const drill = new Command('drill')
    .description('Disaster-recovery drills for model serving: break a real inference deployment under load and measure how it recovers.')
    .exitOverride()
    .showHelpAfterError();

  drill.command('run')
    .description('run drills (scenario files or directories of them) and write reports')
    .argument('<paths...>', 'scenario files (*.yaml) or directories')
    .option('--report-dir <dir>', 'where junit.xml, summary.md and <drill>/journal.json go', 'reports')
    .action(async (paths: string[], opts: { reportDir: string }) => { drill.setOptionValue('exitCode', await run(paths, opts)); });

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

  const model = drill.command('model').description('build and inspect ranking models');
  model.command('build')
    .description('write a seeded two-tower ranking model: DIR/model.onnx and DIR/manifest.json')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'weight seed (same seed, same bytes)', positiveInt('--seed'), 42)
    .action(async (opts: { out: string; seed: number }) => {
      const manifest = await writeModelDir(opts.out, { seed: opts.seed });
      console.log(`${resolve(opts.out)}: ${manifest.name} ${manifest.version} ${manifest.precision} ${manifest.bytes} bytes sha256 ${manifest.sha256}`);
    });

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
