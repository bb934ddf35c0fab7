// `drill`: run, validate and list drills; build models; serve the reference services.
import { dirname, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { inferenceCommand } from '../../services/inference/main';
import { routerCommand } from '../../services/router/main';
import { parseInteger } from '../../services/common/cli';
import type { Precision } from '../../services/common/contract';
import { PRECISIONS, writeModelDir } from '../../services/model/build';
import { compareModels, formatComparison } from '../../services/model/compare';
import { type ForeignModelOptions, isModelMappingError, MAP_ROLES, writeForeignModelDir } from '../../services/model/foreign';
import { ID_ROLES } from '../../services/model/manifest';
import { ExitCode, InvalidInputError, isInfrastructureError, isInvalidInputError } from '../errors';
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
import { activeTopologies } from '../topology/topology';
import { progressReporter } from './progress';

const nonNegativeInt = parseInteger(0);

/** A repeatable `--flag KEY=VALUE` (KEY one of `keys`), collected into one record. */
const assignment = <K extends string, V>(flag: string, keys: readonly K[], parse: (value: string) => V) =>
  (text: string, previous: Partial<Record<K, V>> = {}): Partial<Record<K, V>> => {
    const at = text.indexOf('=');
    const key = text.slice(0, Math.max(at, 0)) as K;
    if (!keys.includes(key) || at === text.length - 1) throw new InvalidInputError(`${flag} takes KEY=VALUE with KEY one of ${keys.join(', ')}, got "${text}"`);
    return { ...previous, [key]: parse(text.slice(at + 1)) };
  };

/**
 * First Ctrl-C or SIGTERM: stop the drill in progress (faults reverted, topology removed, partial report
 * written, exit 130). A second one: remove what runs in progress started and exit at once.
 */
function interruptOnSignal(controller: AbortController): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      console.error(`\ndrill: ${signal}: stopping; reverting faults and removing the topology (again to force)`);
      controller.abort(signal);
      return;
    }
    Promise.all([...activeTopologies].map((runId) => sweep({ onlyDead: false, runId }))).finally(() => process.exit(ExitCode.interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

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

  const model = drill.command('model').description('build and inspect ranking models');
  model.command('build')
    .description('write a seeded two-tower ranking model: DIR/model.onnx and DIR/manifest.json (with its probe set)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'weight seed (same seed, same bytes)', nonNegativeInt, 42)
    .addOption(new Option('--precision <precision>', 'fp32, or int8 weights with per-row/per-column scales').choices(PRECISIONS).default('fp32'))
    .action(async (opts: { out: string; seed: number; precision: Precision }) => {
      const manifest = await writeModelDir(opts.out, { seed: opts.seed, precision: opts.precision });
      console.log(`${resolve(opts.out)}: ${manifest.name} ${manifest.version} ${manifest.precision} ${manifest.bytes} bytes sha256 ${manifest.sha256}`);
    });

  model.command('compare')
    .description('agreement of two models over seeded requests, with the size and precision ratios it costs')
    .argument('<a>', 'model directory (the reference, e.g. fp32)')
    .argument('<b>', 'model directory (e.g. its int8 variant)')
    .option('--requests <n>', 'seeded requests to score', nonNegativeInt, 1000)
    .option('--candidates <n>', 'candidates per request', nonNegativeInt, 100)
    .option('--seed <n>', 'request seed', nonNegativeInt, 1)
    .action(async (a: string, b: string, opts: { requests: number; candidates: number; seed: number }) => {
      console.log(formatComparison(await compareModels(a, b, opts)));
    });

  model.command('manifest')
    .summary('write a model directory (model.onnx + manifest.json) for an ONNX ranking model built elsewhere')
    .description(
      'make a model directory (DIR/model.onnx + DIR/manifest.json) for an ONNX ranking model built elsewhere, for `drill serve inference --model DIR`. ' +
        'Each model input is mapped to a request field (userId int64 [1] or [1,1]; userFeatures float32 [1,16]; itemIds int64 [N] or [N,1]; itemFeatures float32 [N,16]) ' +
        'by its name (user/uid/u_/query vs item/cand/product/doc) and type (int: ids, float: features); inputs it cannot tell apart need --map. ' +
        'A model may leave out fields (not both item fields). The scores output is float32 [N] or [N,1]: the only output, or the one named *score*. ' +
        'Id ranges come from the embedding tables the ids index (Gather on an initializer), else from --vocab; ids outside them get a 400. ' +
        'The probe set is recorded by running the model on seeded requests.',
    )
    .argument('<model>', 'the ONNX file')
    .option('--out <dir>', 'output directory (default: ./<name>)')
    .option('--name <name>', 'model name (default: the file name without .onnx)')
    .option('--version <version>', 'model version (default: <name>-<first 8 hex digits of the sha256>)')
    .addOption(new Option('--precision <precision>', 'what the weights are, as /v1/model and reports show it').choices(PRECISIONS).default('fp32'))
    .option('--map <role=name>', `which model input carries a request field, or which output holds the scores; repeatable (role: ${MAP_ROLES.join(', ')})`, assignment('--map', MAP_ROLES, String))
    .option('--vocab <role=rows>', `rows of the embedding table of an id input, when the graph does not show it; repeatable (role: ${ID_ROLES.join(', ')})`, assignment('--vocab', ID_ROLES, nonNegativeInt))
    .action(async (file: string, opts: ForeignModelOptions) => {
      const { dir, manifest } = await writeForeignModelDir(file, opts).catch((e: unknown) => {
        throw isModelMappingError(e) ? new InvalidInputError(e.message, { cause: e }) : e;
      });
      console.log(`${dir}: ${manifest.name} ${manifest.version} ${manifest.precision} ${manifest.bytes} bytes sha256 ${manifest.sha256}`);
      for (const [role, input] of Object.entries(manifest.io.inputs)) {
        const rows = manifest.io.vocab[role as keyof typeof manifest.io.vocab];
        console.log(`  ${role.padEnd(12)} <- input ${input}${rows === undefined ? '' : ` (ids 0..${rows - 1})`}`);
      }
      console.log(`  ${'scores'.padEnd(12)} <- output ${manifest.io.scores}; ${manifest.probes?.length ?? 0} probe requests recorded`);
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
