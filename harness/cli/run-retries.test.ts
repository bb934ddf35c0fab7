import { join } from 'node:path';
import { passingJournal, retried } from '../../test/report/attempts';
import { recordedJournal } from '../../test/report/journals';
import { ExitCode } from '../errors';
import { projectRoot } from '../paths';
import { main, runExitCode } from './main';

describe('drill run --retries', () => {
  /** `drill run` with `args`, refused before a drill starts; what it printed on stderr. */
  async function refused(...args: string[]): Promise<{ code: number; err: string }> {
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await main(['node', 'drill', 'run', join(projectRoot, 'scenarios', 'primary-crash.yaml'), ...args]);
      return { code, err: err.mock.calls.join('\n') };
    } finally {
      err.mockRestore();
    }
  }

  it.each(['-1', 'two', '1.5', '11'])('exits 2 for --retries %s, naming the flag and the value, before anything starts', async (value) => {
    expect(await refused('--retries', value)).toEqual({ code: ExitCode.invalidInput, err: `drill: --retries must be a whole number from 0 to 10, got "${value}"` });
  });
});

describe('the exit code of drill run', () => {
  const run = { interrupted: false, failOnFlaky: false };

  it('is 0 for a flaky drill, and 1 with --fail-on-flaky', async () => {
    const flaky = await retried(recordedJournal(), passingJournal());
    expect(runExitCode([passingJournal(), flaky], run)).toBe(ExitCode.pass);
    expect(runExitCode([passingJournal(), flaky], { ...run, failOnFlaky: true })).toBe(ExitCode.thresholdFailed);
    expect(runExitCode([passingJournal()], { ...run, failOnFlaky: true })).toBe(ExitCode.pass);
  });

  it('keeps 1 for a failure (on every attempt), 3 for an error and 130 for an interruption, flaky or not', async () => {
    expect(runExitCode([await retried(recordedJournal(), recordedJournal())], run)).toBe(ExitCode.thresholdFailed);
    const errored = { ...recordedJournal(), verdict: 'error' as const };
    expect(runExitCode([errored, await retried(recordedJournal(), passingJournal())], { ...run, failOnFlaky: true })).toBe(ExitCode.infrastructure);
    expect(runExitCode([passingJournal()], { ...run, interrupted: true })).toBe(ExitCode.interrupted);
  });
});
