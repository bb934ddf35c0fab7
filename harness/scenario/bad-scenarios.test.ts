// The corpus of malformed scenario files (test/fixtures/bad-scenarios): each names what it expects on its first
// line, `# expect: <regex>`. Every file must be refused with that specific error, and nothing may start.
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

function expectation(file: string): RegExp {
  const first = readFileSync(join(dir, file), 'utf8').split('\n')[0] ?? '';
  const match = /^# expect: (.+)$/.exec(first);
  if (!match) throw new Error(`${file}: first line must be "# expect: <regex>"`);
  return new RegExp(match[1] as string);
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

it('has at least 30 malformed files', () => {
  expect(files.length).toBeGreaterThanOrEqual(30);
});

test.each(files)('%s is refused with its specific error, located in the file', (file) => {
  const error = errorOf(file);
  expect(error.problems).toHaveLength(1);
  expect(error.message).toMatch(expectation(file));
  expect(error.message.startsWith(`${join(dir, file)}:`)).toBe(true);
  const [problem] = error.problems;
  expect(problem?.line).toBeGreaterThanOrEqual(1);
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
