// The corpus of malformed scenario files (test/fixtures/bad-scenarios): each names what it expects on its first
// two lines, `# expect: <regex>` and `# at: <line>:<column>`. Every file must be refused with that specific error
// at that exact place, and nothing may start.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../cli/main';
import { ExitCode } from '../errors';
import { projectRoot } from '../paths';
import { prepare } from '../prepare';
import { ScenarioError, loadScenario } from './load';

// Preparing means Docker, images and containers: for invalid input it must never happen.
jest.mock('../prepare', () => ({
  prepare: jest.fn(() => {
    throw new Error('prepare() must not be called for invalid input');
  }),
}));

const dir = join(projectRoot, 'test', 'fixtures', 'bad-scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

interface Expectation {
  message: RegExp;
  line: number;
  column: number;
}

function expectation(file: string): Expectation {
  const [first = '', second = ''] = readFileSync(join(dir, file), 'utf8').split('\n');
  const message = /^# expect: (.+)$/.exec(first)?.[1];
  const at = /^# at: (\d+):(\d+)$/.exec(second);
  if (!message || !at) throw new Error(`${file}: the first lines must be "# expect: <regex>" and "# at: <line>:<column>"`);
  return { message: new RegExp(message), line: Number(at[1]), column: Number(at[2]) };
}

function errorOf(file: string): ScenarioError {
  try {
    loadScenario(join(dir, file));
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}

it('has at least 70 malformed files', () => {
  expect(files.length).toBeGreaterThanOrEqual(70);
});

test.each(files)('%s is refused with its specific error, at its exact line and column', (file) => {
  const error = errorOf(file);
  const { message, line, column } = expectation(file);
  expect(error.problems).toHaveLength(1);
  expect(error.message).toMatch(message);
  expect(error.message.startsWith(`${join(dir, file)}:${line}:${column}: `)).toBe(true);
  expect(error.problems[0]).toMatchObject({ line, column });
});

it('gives each file a different error', () => {
  const messages = files.map((f) => errorOf(f).problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  expect(new Set(messages).size).toBe(files.length);
});

it('drill run refuses them all with exit 2 before preparing anything', async () => {
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(await main(['node', 'drill', 'run', dir])).toBe(ExitCode.invalidInput);
    // One message listing every broken file.
    const printed = stderr.mock.calls.map((c) => String(c[0])).join('\n');
    for (const file of files) expect(printed).toContain(file);
    expect(prepare).not.toHaveBeenCalled();
  } finally {
    stderr.mockRestore();
  }
});

it('drill validate refuses an alias bomb with exit 2 and its file:line:column, not an unexpected error', async () => {
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const file = join(dir, 'yaml-alias-bomb.yaml');
    const { line, column } = expectation('yaml-alias-bomb.yaml');
    expect(await main(['node', 'drill', 'validate', file])).toBe(ExitCode.invalidInput);
    const printed = stderr.mock.calls.map((c) => String(c[0])).join('\n');
    expect(printed).toContain(`${file}:${line}:${column}: YAML alias:`);
    expect(printed).not.toMatch(/unexpected error|\n\s+at /);
  } finally {
    stderr.mockRestore();
  }
});
