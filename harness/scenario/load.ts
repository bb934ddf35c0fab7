// Loads and validates scenario files before anything starts. Every error names file:line:column, the path in
// the document and the bad value, and lists the allowed values where there is a list.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { formatPath } from '../../services/common/field-path';
import { InvalidInputError } from '../errors';
import { FAULTS, FAULT_NAMES, type FaultName } from '../faults';
import { DRIFT_METRICS } from '../measure/metrics';
import { MANIFEST_FILE, MODEL_FILE } from '../../services/model/manifest';
import { scenarioSchema, type FaultEnvelope, type ScenarioEnvelope } from './schema';

export interface ScheduledFault extends FaultEnvelope {
  fault: FaultName;
  /** The fault type's own attributes, validated by its schema. */
  attributes: unknown;
}

export interface Scenario extends Omit<ScenarioEnvelope, 'faults'> {
  file: string;
  faults: ScheduledFault[];
}

export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export class ScenarioError extends InvalidInputError {
  constructor(readonly problems: ScenarioProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
  }
}


function locate(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): { line: number; col: number } {
  // A missing key has no node: point at the closest ancestor that exists.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

function describeValue(doc: Document, path: readonly PropertyKey[]): string {
  const value: unknown = doc.getIn(path as unknown[]);
  if (value === undefined) return '';
  const text = JSON.stringify(isNode(value) ? value.toJSON() : value);
  return ` (got ${text && text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && 'values' in issue) return `not an allowed value; allowed: ${issue.values.join(', ')}`;
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

export function parseScenario(text: string, file: string): Scenario {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const problem = (path: readonly PropertyKey[], message: string, withValue = true): ScenarioProblem => {
    const { line, col } = locate(doc, counter, path);
    return { file, line, column: col, path: formatPath(path), message: withValue ? message + describeValue(doc, path) : message };
  };
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    // Only the first: later YAML errors are usually consequences of it.
    const { line, col } = counter.linePos(syntaxError.pos[0]);
    throw new ScenarioError([{ file, line, column: col, path: '', message: `YAML syntax error: ${syntaxError.message.split('\n')[0]}` }]);
  }
  const envelope = scenarioSchema.safeParse(doc.toJS());
  if (!envelope.success) {
    throw new ScenarioError(envelope.error.issues.map((issue) => problem(issue.path, issueMessage(issue), issue.code !== 'unrecognized_keys')));
  }
  const problems: ScenarioProblem[] = [];
  const faults: ScheduledFault[] = [];
  envelope.data.faults.forEach((entry, index) => {
    const { at, fault, target, duration, ...attributes } = entry;
    if (!(fault in FAULTS)) {
      problems.push(problem(['faults', index, 'fault'], `unknown fault "${fault}"; allowed: ${FAULT_NAMES.join(', ')}`, false));
      return;
    }
    const type = FAULTS[fault as FaultName];
    if (!type.targets.includes(target)) {
      problems.push(problem(['faults', index, 'target'], `fault "${fault}" cannot target "${target}"; allowed: ${type.targets.join(', ')}`, false));
      return;
    }
    const parsed = type.attributes.safeParse(attributes);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const message = issue.code === 'unrecognized_keys'
          ? `${issueMessage(issue)} for fault "${fault}"`
          : issueMessage(issue);
        problems.push(problem(['faults', index, ...issue.path], message, issue.code !== 'unrecognized_keys'));
      }
      return;
    }
    if (at >= envelope.data.load.duration) {
      problems.push(problem(['faults', index, 'at'], `fault starts at ${at} ms, after the load ends (${envelope.data.load.duration} ms)`, false));
    }
    faults.push({ at, fault: fault as FaultName, target, ...(duration !== undefined ? { duration } : {}), attributes: parsed.data });
  });
  const ownModel = envelope.data.topology.model;
  if (ownModel !== undefined) {
    const dir = resolve(dirname(file), ownModel);
    envelope.data.topology.model = dir;
    const missing = [MANIFEST_FILE, MODEL_FILE].filter((f) => !existsSync(join(dir, f)));
    if (missing.length) problems.push(problem(['topology', 'model'], `${dir} is not a model directory: no ${missing.join(' and no ')} (make one with \`drill model manifest MODEL.onnx --out DIR\`)`));
    // Only the reference model comes with an int8 variant and a next version.
    if (envelope.data.topology.standbyPrecision !== 'fp32') problems.push(problem(['topology', 'standbyPrecision'], 'must be fp32 with your own model: only the reference model has an int8 variant here'));
    if (envelope.data.topology.allowNextModel) problems.push(problem(['topology', 'allowNextModel'], 'cannot be set with your own model: there is no next version of it to roll out'));
    faults.forEach((f, index) => {
      const needsNext = f.fault === 'deploy' || (f.fault === 'corrupt-weights' && (f.attributes as { mode?: string }).mode === 'other-model');
      if (needsNext) problems.push(problem(['faults', index, 'fault'], `"${f.fault}"${f.fault === 'deploy' ? '' : ' with mode other-model'} rolls out the reference model's next version, which your own model (topology.model) does not have`, false));
    });
  }
  if (!envelope.data.measure.drift) {
    envelope.data.thresholds.forEach((t, index) => {
      if (DRIFT_METRICS.includes(t.metric)) problems.push(problem(['thresholds', index, 'metric'], `"${t.metric}" is measured only with measure.drift (a soak drill); add it or bound another metric`, false));
    });
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  return { ...envelope.data, faults, file };
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new InvalidInputError(`cannot read scenario file ${file}: ${(cause as Error).message}`, { cause });
  }
  return parseScenario(text, file);
}

/** Expands directories to their *.yaml / *.yml files, sorted; files are kept as given. */
export function scenarioFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    const path = resolve(p);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new InvalidInputError(`no such scenario file or directory: ${p}`);
    }
    if (!isDir) return [path];
    return readdirSync(path).filter((f) => ['.yaml', '.yml'].includes(extname(f))).sort().map((f) => join(path, f));
  });
}

/** Loads every file, collecting all problems before failing, so one run reports every broken file. */
export function loadScenarios(paths: readonly string[]): Scenario[] {
  const files = scenarioFiles(paths);
  if (files.length === 0) throw new InvalidInputError(`no scenario files (*.yaml) in ${paths.join(', ')}`);
  const problems: ScenarioProblem[] = [];
  const scenarios: Scenario[] = [];
  for (const file of files) {
    try {
      scenarios.push(loadScenario(file));
    } catch (e) {
      if (e instanceof ScenarioError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  const names = new Map<string, string>();
  for (const s of scenarios) {
    const other = names.get(s.name);
    if (other) throw new InvalidInputError(`scenario name "${s.name}" is used by both ${other} and ${basename(s.file)}`);
    names.set(s.name, basename(s.file));
  }
  return scenarios;
}
