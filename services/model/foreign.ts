// `drill model manifest`: a model directory for an ONNX ranking model built elsewhere. Its manifest's `io` tells
// the service which input carries which request field, which output holds the scores, and how many rows each id's
// embedding table has (so an id outside the table gets a 400 instead of failing inside the model).
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { onnx } from 'onnx-proto';
import type { InferenceSession } from 'onnxruntime-node';
import { FEATURE_DIM, type Precision } from '../common/contract';
import { ID_ROLES, INPUT_ROLES, type InputRole, type Manifest, type ModelIo, sha256Hex, writeModelFiles } from './manifest';
import { recordProbes } from './probes';
import { createSession, formatShape, Ranker, ROLE_TENSORS } from './ranker';

/** What `--map` can name: the input of a request field, or the scores output. */
export const MAP_ROLES = [...INPUT_ROLES, 'scores'] as const;
export type MapRole = (typeof MAP_ROLES)[number];

export interface ForeignModelOptions {
  /** The model directory to write; default ./<name>. */
  out?: string;
  /** Default: the file name without .onnx. */
  name?: string;
  /** Default: <name>-<first 8 hex digits of the sha256>. */
  version?: string;
  /** What the weights are, as reports show it; default fp32. */
  precision?: Precision;
  /** Names the heuristics cannot find: an input per request field, the output for scores. */
  map?: Partial<Record<MapRole, string>>;
  /** Rows of the embedding table of an id input, where the graph does not show the table. */
  vocab?: ModelIo['vocab'];
}

/** The model cannot be mapped onto rank requests as asked; the message names the input and the flags that fix it. */
export class ModelMappingError extends Error {
  override readonly name = 'ModelMappingError';
}

export const isModelMappingError = (e: unknown): e is ModelMappingError => e instanceof ModelMappingError;

/** Inspects `file`, maps it, records its probe set and writes `model.onnx` and `manifest.json` into the output directory. */
export async function writeForeignModelDir(file: string, opts: ForeignModelOptions = {}): Promise<{ dir: string; manifest: Manifest }> {
  let bytes: Buffer;
  let session: InferenceSession;
  try {
    bytes = await readFile(file);
    session = await createSession(bytes);
  } catch (cause) {
    throw new ModelMappingError(`cannot load ${file} with onnxruntime: ${(cause as Error).message}`, { cause });
  }
  try {
    let io: ModelIo;
    let ranker: Ranker;
    try {
      io = mapModel(session, onnx.ModelProto.decode(bytes).graph ?? {}, opts);
      ranker = new Ranker(session, io);
    } catch (cause) {
      throw new ModelMappingError(explain(file, session, (cause as Error).message), { cause });
    }
    const probes = await recordProbes((req) => ranker.score(req), io.vocab).catch((cause: Error) => {
      throw new ModelMappingError(`${file}: cannot record a probe set: ${cause.message}`, { cause });
    });
    const name = opts.name ?? basename(file, extname(file));
    const sha256 = sha256Hex(bytes);
    const manifest: Manifest = {
      name,
      version: opts.version ?? `${name}-${sha256.slice(0, 8)}`,
      sha256,
      bytes: bytes.byteLength,
      precision: opts.precision ?? 'fp32',
      inputs: (Object.entries(io.inputs) as [InputRole, string][]).map(([role, input]) => ({ name: input, type: ROLE_TENSORS[role].type, shape: shapeOf(session.inputMetadata, input) })),
      outputs: [{ name: io.scores, type: 'float32', shape: shapeOf(session.outputMetadata, io.scores) }],
      io,
      probes,
    };
    const dir = resolve(opts.out ?? name);
    await writeModelFiles(dir, bytes, manifest);
    return { dir, manifest };
  } finally {
    await session.release();
  }
}

/** Inputs by `--map`, then by name and type; the scores output; the id tables' rows. Throws a sentence on the first gap. */
function mapModel(session: InferenceSession, graph: onnx.IGraphProto, opts: ForeignModelOptions): ModelIo {
  const map = opts.map ?? {};
  const inputs: ModelIo['inputs'] = {};
  for (const role of INPUT_ROLES) {
    const name = map[role];
    if (name === undefined) continue;
    if (!session.inputNames.includes(name)) throw new Error(`--map ${role}=${name}: the model has no input "${name}"`);
    inputs[role] = name;
  }
  const mapped = new Set(Object.values(inputs));
  for (const meta of session.inputMetadata) {
    if (mapped.has(meta.name)) continue;
    const role = guessRole(meta);
    if (!role) throw new Error(`cannot tell which request field input "${meta.name}" carries`);
    if (inputs[role]) throw new Error(`inputs "${inputs[role]}" and "${meta.name}" both look like ${role}`);
    inputs[role] = meta.name;
  }
  if (!inputs.itemIds && !inputs.itemFeatures) throw new Error('no input carries item ids or item features, so the model cannot be told how many candidates to score');
  const vocab: ModelIo['vocab'] = {};
  for (const role of ID_ROLES) {
    const input = inputs[role];
    if (!input) continue;
    const rows = opts.vocab?.[role] ?? tableRows(graph, input);
    if (rows === undefined) throw new Error(`cannot find the embedding table that input "${input}" (${role}) indexes; give its rows with --vocab ${role}=ROWS`);
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`--vocab ${role}=${rows}: the rows of a table are a positive integer`);
    vocab[role] = rows;
  }
  return { inputs, scores: scoresOutput(session, map.scores), vocab };
}

const USER_NAME = /user|uid|^u_|query/i;
const ITEM_NAME = /item|cand|product|doc/i;

/** The side (user or item) from the name, the field (ids or features) from the element type. */
function guessRole(meta: InferenceSession.ValueMetadata): InputRole | undefined {
  const user = USER_NAME.test(meta.name);
  if (!meta.isTensor || user === ITEM_NAME.test(meta.name)) return undefined;
  const ids = /int/.test(meta.type);
  if (!ids && !/float/.test(meta.type)) return undefined;
  return user ? (ids ? 'userId' : 'userFeatures') : ids ? 'itemIds' : 'itemFeatures';
}

function scoresOutput(session: InferenceSession, mapped: string | undefined): string {
  if (mapped !== undefined) {
    if (!session.outputNames.includes(mapped)) throw new Error(`--map scores=${mapped}: the model has no output "${mapped}"`);
    return mapped;
  }
  const found = session.outputNames.length === 1 ? session.outputNames : session.outputNames.filter((name) => /score/i.test(name));
  if (found.length !== 1) throw new Error(`cannot tell which of the ${session.outputNames.length} outputs holds the scores`);
  return found[0]!;
}

// Ops that hand ids on unchanged (in value) to the embedding lookup.
const ID_PASSTHROUGH = new Set(['Identity', 'Cast', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);

/**
 * Rows of the embedding tables `input` indexes: Gather nodes along axis 0 of an initializer whose indices come
 * from the input, directly or through the ops above. With several tables, the smallest bounds the valid ids.
 */
function tableRows(graph: onnx.IGraphProto, input: string): number | undefined {
  const tables = new Map((graph.initializer ?? []).map((t) => [t.name, t]));
  const ids = new Set([input]);
  const rows: number[] = [];
  // Nodes are in topological order (the ONNX spec requires it), so one pass follows the ids forward.
  for (const node of graph.node ?? []) {
    const [data, indices] = node.input ?? [];
    if (node.opType === 'Gather' && indices !== undefined && ids.has(indices)) {
      const table = data === undefined ? undefined : tables.get(data);
      const axis = Number(node.attribute?.find((a) => a.name === 'axis')?.i ?? 0);
      if (table?.dims?.length && axis === 0) rows.push(Number(table.dims[0]));
    } else if (ID_PASSTHROUGH.has(node.opType ?? '') && data !== undefined && ids.has(data)) {
      for (const output of node.output ?? []) ids.add(output);
    }
  }
  return rows.length > 0 ? Math.min(...rows) : undefined;
}

function shapeOf(list: readonly InferenceSession.ValueMetadata[], name: string): (number | string)[] {
  const meta = list.find((m) => m.name === name);
  // An unknown dimension comes back as ""; the manifest names it.
  return meta?.isTensor ? meta.shape.map((d) => (d === '' ? '?' : d)) : [];
}

/** The problem, what the model has, what the service needs, and the flags that fix it. */
function explain(file: string, session: InferenceSession, problem: string): string {
  const values = (list: readonly InferenceSession.ValueMetadata[]) =>
    list.map((m) => `${m.name} (${m.isTensor ? `${m.type} ${formatShape(m.shape)}` : 'not a tensor'})`).join(', ');
  return [
    `${file}: ${problem}`,
    `  model inputs:   ${values(session.inputMetadata)}`,
    `  model outputs:  ${values(session.outputMetadata)}`,
    `  request fields: userId (int64, one), userFeatures (float32, ${FEATURE_DIM}), itemIds (int64, one per candidate), itemFeatures (float32, ${FEATURE_DIM} per candidate); scores (float32, one per candidate)`,
    `  fix: --map ROLE=NAME names the input of a field or the scores output (ROLE: ${MAP_ROLES.join(', ')}); --vocab ${ID_ROLES.join('|')}=ROWS gives an id table's rows`,
  ].join('\n');
}
