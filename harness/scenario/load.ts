// Loads and validates scenario files before anything starts. Every error names file:line:column, the path in
// the document and the bad value, and lists the allowed values where there is a list.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { LineCounter, isMap, isNode, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { formatPath } from '../../services/common/field-path';
import { InvalidInputError } from '../errors';
import { FAULTS, FAULT_NAMES, type FaultName } from '../faults';
import { MANIFEST_FILE, MODEL_FILE } from '../../services/model/manifest';
import { checkThresholds, missingPath, type Report } from './checks';
import { checkGateway } from './gateway';
import { checkReplicas } from './replicas';
import { scenarioSchema, type FaultEnvelope, type ScenarioEnvelope } from './schema';
import { aliasProblem } from './yaml-aliases';

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

/** Where `path` is in the file; with `key`, where that key of the mapping at `path` is (an unknown field). */
function locate(doc: Document, counter: LineCounter, path: readonly PropertyKey[], key?: string): { line: number; col: number } {
  if (key !== undefined) {
    const parent = doc.getIn(path as unknown[], true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
    if (isScalar(pair?.key) && pair.key.range) return counter.linePos(pair.key.range[0]);
  }
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

/** Parses the YAML, refusing syntax errors and alias bombs before anything is converted. */
function parseYaml(text: string, file: string): { doc: Document; counter: LineCounter } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, message: string): ScenarioError => {
    const { line, col } = counter.linePos(offset);
    return new ScenarioError([{ file, line, column: col, path: '', message }]);
  };
  const syntaxError = doc.errors[0];
  // Only the first: later YAML errors are usually consequences of it.
  if (syntaxError) throw at(syntaxError.pos[0], `YAML syntax error: ${syntaxError.message.split('\n')[0]}`);
  const aliases = aliasProblem(doc);
  if (aliases) throw at(aliases.alias.range?.[0] ?? 0, `YAML alias: ${aliases.message}`);
  return { doc, counter };
}

/** The fault at `index` with its type's attributes, or undefined (reported) when it is not one. */
function scheduleFault(scenario: ScenarioEnvelope, index: number, report: Report): ScheduledFault | undefined {
  const { at, fault, target, duration, ...attributes } = scenario.faults[index] as FaultEnvelope;
  if (!(fault in FAULTS)) {
    report(['faults', index, 'fault'], `unknown fault "${fault}"; allowed: ${FAULT_NAMES.join(', ')}`, false);
    return undefined;
  }
  const type = FAULTS[fault as FaultName];
  if (!type.targets.includes(target)) {
    report(['faults', index, 'target'], `fault "${fault}" cannot target "${target}"; allowed: ${type.targets.join(', ')}`, false);
    return undefined;
  }
  const missing = missingPath(scenario, target);
  if (missing) {
    report(['faults', index, 'target'], `fault "${fault}" is aimed at "${target}", but ${missing}`, false);
    return undefined;
  }
  const parsed = type.attributes.safeParse(attributes);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const message = issue.code === 'unrecognized_keys' ? `${issueMessage(issue)} for fault "${fault}"` : issueMessage(issue);
      report(['faults', index, ...issue.path], message, issue.code !== 'unrecognized_keys', firstUnknownKey(issue));
    }
    return undefined;
  }
  if (at >= scenario.load.duration) {
    report(['faults', index, 'at'], `fault starts at ${at} ms, after the load ends (${scenario.load.duration} ms)`, false);
  }
  return { at, fault: fault as FaultName, target, ...(duration !== undefined ? { duration } : {}), attributes: parsed.data };
}

/** topology.model: resolved against the scenario file, and refused with what only the reference model has. */
function checkOwnModel(scenario: ScenarioEnvelope, faults: readonly (ScheduledFault | undefined)[], file: string, report: Report): void {
  const ownModel = scenario.topology.model;
  if (ownModel === undefined) return;
  if (typeof ownModel === 'object') {
    // A size preset has its int8 variant and next version, but the replicas are given only the fp32 file.
    if (scenario.topology.standbyPrecision !== 'fp32') report(['topology', 'standbyPrecision'], `must be fp32 with topology.model.size (${ownModel.size}): both replicas are given the fp32 model at that size`);
    return;
  }
  const dir = resolve(dirname(file), ownModel);
  scenario.topology.model = dir;
  const missing = [MANIFEST_FILE, MODEL_FILE].filter((f) => !existsSync(join(dir, f)));
  if (missing.length) report(['topology', 'model'], `${dir} is not a model directory: no ${missing.join(' and no ')} (make one with \`drill model manifest MODEL.onnx --out DIR\`)`);
  // Only the reference model comes with an int8 variant and a next version.
  if (scenario.topology.standbyPrecision !== 'fp32') report(['topology', 'standbyPrecision'], 'must be fp32 with your own model: only the reference model has an int8 variant here');
  if (scenario.topology.allowNextModel) report(['topology', 'allowNextModel'], 'cannot be set with your own model: there is no next version of it to roll out');
  faults.forEach((f, index) => {
    const needsNext = f?.fault === 'deploy' || (f?.fault === 'corrupt-weights' && (f.attributes as { mode?: string }).mode === 'other-model');
    if (needsNext) report(['faults', index, 'fault'], `"${f.fault}"${f.fault === 'deploy' ? '' : ' with mode other-model'} rolls out the reference model's next version, which your own model (topology.model) does not have`, false);
  });
}

/**
 * A value that may be a name or a mapping (topology.gateway): report the issues of the form it was written in,
 * not "invalid input". A form that failed only at its root is the other form; among names, the list of allowed
 * values is the useful answer.
 */
function unionIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const atRoot = (branch: z.core.$ZodIssue[]): boolean => branch.length === 1 && (branch[0] as z.core.$ZodIssue).path.length === 0;
  const written = issue.errors.filter((branch) => !atRoot(branch));
  const chosen = written.length === 1 ? written[0] : issue.errors.find((branch) => branch[0]?.code === 'invalid_value');
  return chosen ? chosen.map((i) => ({ ...i, path: [...issue.path, ...i.path] })) : [issue];
}

/** An unknown field is located at its key: the mapping that holds it may start many lines earlier. */
const firstUnknownKey = (issue: z.core.$ZodIssue): string | undefined => (issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined);

export function parseScenario(text: string, file: string): Scenario {
  const { doc, counter } = parseYaml(text, file);
  const problem = (path: readonly PropertyKey[], message: string, withValue = true, key?: string): ScenarioProblem => {
    const { line, col } = locate(doc, counter, path, key);
    return { file, line, column: col, path: formatPath(path), message: withValue ? message + describeValue(doc, path) : message };
  };
  // Aliases were bounded by parseYaml, with the offending one located; the library's own count would also refuse
  // harmless reuse (a hundred uses of one anchor).
  const envelope = scenarioSchema.safeParse(doc.toJS({ maxAliasCount: -1 }));
  if (!envelope.success) {
    throw new ScenarioError(envelope.error.issues.flatMap(unionIssues).map((issue) => problem(issue.path, issueMessage(issue), issue.code !== 'unrecognized_keys', firstUnknownKey(issue))));
  }
  const problems: ScenarioProblem[] = [];
  const report: Report = (path, message, withValue, key) => problems.push(problem(path, message, withValue, key));
  const faults = envelope.data.faults.map((_, index) => scheduleFault(envelope.data, index, report));
  checkOwnModel(envelope.data, faults, file, report);
  checkThresholds(envelope.data, report);
  checkGateway(envelope.data, file, report);
  checkReplicas(envelope.data, report, doc.hasIn(['topology', 'protocol']));
  if (problems.length > 0) throw new ScenarioError(problems);
  return { ...envelope.data, faults: faults.filter((f) => f !== undefined), file };
}

/**
 * Largest scenario file read. Built-in drills are under 2 KiB; a file of many megabytes is a mistake or an attack,
 * and reading it whole would spend the memory this bound protects.
 */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    const stat = statSync(file);
    // A device or a pipe (/dev/zero) never ends: only regular files are read.
    if (!stat.isFile()) throw new InvalidInputError(`cannot read scenario file ${file}: not a regular file`);
    if (stat.size > MAX_SCENARIO_BYTES) {
      throw new ScenarioError([{ file, line: 1, column: 1, path: '', message: `the file is ${stat.size} bytes; a scenario file may have at most ${MAX_SCENARIO_BYTES}` }]);
    }
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if (cause instanceof InvalidInputError) throw cause;
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
