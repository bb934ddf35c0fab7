// `drill model ...`: build, compare and describe ranking models.
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseInteger } from '../../services/common/cli';
import type { Precision } from '../../services/common/contract';
import { PRECISIONS, QUANTIZATIONS, writeModelDir } from '../../services/model/build';
import { compareModels, formatComparison } from '../../services/model/compare';
import { type ForeignModelOptions, isModelMappingError, MAP_ROLES, writeForeignModelDir } from '../../services/model/foreign';
import { ID_ROLES, type Quantization } from '../../services/model/manifest';
import { type ModelShape, presetShape, SIZE_PRESETS } from '../../services/model/shape';
import { InvalidInputError } from '../errors';

const nonNegativeInt = parseInteger(0);
const positiveInt = parseInteger(1);

/** A repeatable `--flag KEY=VALUE` (KEY one of `keys`), collected into one record. */
const assignment = <K extends string, V>(flag: string, keys: readonly K[], parse: (value: string) => V) =>
  (text: string, previous: Partial<Record<K, V>> = {}): Partial<Record<K, V>> => {
    const at = text.indexOf('=');
    const key = text.slice(0, Math.max(at, 0)) as K;
    if (!keys.includes(key) || at === text.length - 1) throw new InvalidInputError(`${flag} takes KEY=VALUE with KEY one of ${keys.join(', ')}, got "${text}"`);
    return { ...previous, [key]: parse(text.slice(at + 1)) };
  };

/** The size flags of `model build`: each overrides one field of the preset (or of the default shape). */
const SHAPE_FLAGS: readonly [keyof ModelShape, string, string][] = [
  ['userVocab', '--user-vocab <rows>', 'rows of the user embedding table'],
  ['itemVocab', '--item-vocab <rows>', 'rows of the item embedding table (the catalogue: most of the bytes)'],
  ['embeddingDim', '--embedding-dim <n>', 'width of an embedding row'],
  ['hiddenDim', '--hidden-dim <n>', 'width of each tower\'s hidden layer'],
  ['outputDim', '--output-dim <n>', 'width of the user and item vectors'],
];

interface BuildCliOptions extends Partial<ModelShape> {
  out: string;
  seed: number;
  precision: Precision;
  quantization?: Quantization;
  size?: ModelShape;
}

function parsePreset(value: string): ModelShape {
  try {
    return presetShape(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

async function build(opts: BuildCliOptions): Promise<void> {
  const shape: Partial<ModelShape> = { ...opts.size };
  for (const [field] of SHAPE_FLAGS) if (opts[field] !== undefined) shape[field] = opts[field];
  const options = { seed: opts.seed, precision: opts.precision, shape, ...(opts.quantization ? { quantization: opts.quantization } : {}) };
  const manifest = await writeModelDir(opts.out, options).catch((e: unknown) => {
    throw e instanceof RangeError ? new InvalidInputError(e.message, { cause: e }) : e;
  });
  console.log(`${resolve(opts.out)}: ${manifest.name} ${manifest.version} ${manifest.precision} ${manifest.bytes} bytes sha256 ${manifest.sha256}`);
}

function buildCommand(): Command {
  const command = new Command('build')
    .description('write a seeded two-tower ranking model: DIR/model.onnx and DIR/manifest.json (with its probe set). The weights are generated as they are written, so a 1 GB model needs ~130 MB of memory')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'weight seed (same seed and sizes, same bytes)', nonNegativeInt, 42)
    .addOption(new Option('--precision <precision>', 'fp32, or int8 weights with per-row/per-column scales').choices(PRECISIONS).default('fp32'))
    .addOption(new Option('--quantization <kind>', 'for int8: weight-only (float MatMuls; the default) or dynamic (int8 MatMuls, activations quantized per request)').choices(QUANTIZATIONS))
    .addOption(new Option('--size <preset>', `fp32 size preset: ${Object.keys(SIZE_PRESETS).join(', ')} (grows the item table; 8mb is the default model)`).argParser(parsePreset));
  for (const [, flags, description] of SHAPE_FLAGS) command.option(flags, description, positiveInt);
  return command.action(build);
}

export function modelCommand(): Command {
  const model = new Command('model').description('build and inspect ranking models');
  model.addCommand(buildCommand());

  model.command('compare')
    .description('each variant against a reference model over seeded requests: size ratio, weight bytes and CPU per request, p50, max |score delta|, top-10 overlap (mean and worst), same top-1')
    .argument('<reference>', 'model directory (the reference, e.g. fp32)')
    .argument('<variants...>', 'model directories (e.g. its int8 variants: --quantization weight-only and dynamic)')
    .option('--requests <n>', 'seeded requests to score', positiveInt, 1000)
    .option('--candidates <n>', 'candidates per request', nonNegativeInt, 100)
    .option('--seed <n>', 'request seed', nonNegativeInt, 1)
    .action(async (reference: string, variants: string[], opts: { requests: number; candidates: number; seed: number }) => {
      console.log(formatComparison(await compareModels(reference, variants, opts)));
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
  return model;
}
