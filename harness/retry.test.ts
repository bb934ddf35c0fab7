import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { erroredJournal, passingJournal } from '../test/report/attempts';
import { recordedJournal } from '../test/report/journals';
import type { Journal } from './report/journal';
import { readJournal } from './report/write';
import { parseRetries, runWithRetries } from './retry';

/** A drill whose runs end as `runs` say, in turn; counts how often it was run. */
function drillOf(...runs: Journal[]): { run: () => Promise<Journal>; runs: () => number } {
  let count = 0;
  return { run: async () => runs[Math.min(count++, runs.length - 1)] as Journal, runs: () => count };
}

describe('runWithRetries', () => {
  let reportDir: string;
  beforeEach(() => { reportDir = mkdtempSync(join(tmpdir(), 'drill-retry-')); });
  afterEach(() => rmSync(reportDir, { recursive: true, force: true }));

  it('settles a negative control on its first run that judged something: an error is run again, a fail stands', async () => {
    const settles = (j: Journal): boolean => j.verdict !== 'error';
    const drill = drillOf(erroredJournal(), recordedJournal(), passingJournal());
    const journal = await runWithRetries(drill.run, { retries: 2, reportDir, settles });
    expect(drill.runs()).toBe(2);
    expect(journal.verdict).toBe('fail');
    expect(journal.earlierAttempts?.map((a) => a.verdict)).toEqual(['error']);
  });

  it('runs a drill that passes once, and records no attempts', async () => {
    const drill = drillOf(passingJournal(), recordedJournal());
    const journal = await runWithRetries(drill.run, { retries: 2, reportDir });
    expect(drill.runs()).toBe(1);
    expect(journal.verdict).toBe('pass');
    expect(journal.earlierAttempts).toBeUndefined();
    expect(existsSync(join(reportDir, 'primary-crash'))).toBe(false);
  });

  it('runs a failed drill again: fail then pass is a pass whose failed attempt is kept, in the journal and on disk', async () => {
    const drill = drillOf(recordedJournal(), passingJournal());
    const retried: number[] = [];
    const journal = await runWithRetries(drill.run, { retries: 2, reportDir, onRetry: (_, attempt) => retried.push(attempt) });
    expect(drill.runs()).toBe(2);
    expect(retried).toEqual([1]);
    expect(journal.verdict).toBe('pass');
    expect(journal.runId).toBe('pass-run');
    expect(journal.earlierAttempts).toEqual([{
      attempt: 1,
      runId: recordedJournal().runId,
      verdict: 'fail',
      startedAt: recordedJournal().startedAt,
      totalMs: recordedJournal().timing.totalMs,
      firstFailure: 'threshold errors[run] <= 0 failed: observed 67',
      failedThresholds: [recordedJournal().thresholds[0]],
      dir: 'attempt-1',
    }]);
    expect(readJournal(join(reportDir, 'primary-crash', 'attempt-1', 'journal.json'))).toEqual(recordedJournal());
    expect(existsSync(join(reportDir, 'primary-crash', 'attempt-1', 'index.html'))).toBe(true);
  });

  it('stops after `retries` more runs of a drill that always fails: the last failure is the verdict, every earlier one kept', async () => {
    const drill = drillOf(recordedJournal());
    const journal = await runWithRetries(drill.run, { retries: 2, reportDir });
    expect(drill.runs()).toBe(3);
    expect(journal.verdict).toBe('fail');
    expect(journal.earlierAttempts?.map((a) => [a.attempt, a.verdict, a.dir])).toEqual([[1, 'fail', 'attempt-1'], [2, 'fail', 'attempt-2']]);
    expect(existsSync(join(reportDir, 'primary-crash', 'attempt-2', 'journal.json'))).toBe(true);
    expect(existsSync(join(reportDir, 'primary-crash', 'attempt-3'))).toBe(false);
  });

  it('runs an errored drill again, and keeps none of its thresholds as failures', async () => {
    const journal = await runWithRetries(drillOf(erroredJournal(), passingJournal()).run, { retries: 1, reportDir });
    expect(journal.verdict).toBe('pass');
    expect(journal.earlierAttempts).toMatchObject([{ verdict: 'error', firstFailure: 'infrastructure error: Docker did not answer', failedThresholds: [] }]);
  });

  it('runs a failed drill once with no retries, and never runs an interrupted one again', async () => {
    const once = drillOf(recordedJournal(), passingJournal());
    expect((await runWithRetries(once.run, { retries: 0, reportDir })).verdict).toBe('fail');
    expect(once.runs()).toBe(1);
    const interrupted = drillOf({ ...erroredJournal(), interrupted: true }, passingJournal());
    expect((await runWithRetries(interrupted.run, { retries: 3, reportDir })).interrupted).toBe(true);
    expect(interrupted.runs()).toBe(1);
    const aborted = new AbortController();
    aborted.abort();
    const stopped = drillOf(recordedJournal(), passingJournal());
    await runWithRetries(stopped.run, { retries: 3, reportDir, signal: aborted.signal });
    expect(stopped.runs()).toBe(1);
  });
});

describe('parseRetries', () => {
  it('takes a whole number from 0 to 10', () => {
    expect(parseRetries('0')).toBe(0);
    expect(parseRetries('10')).toBe(10);
  });

  it.each(['-1', '1.5', 'two', '', '11'])('refuses %j, naming the flag or variable and the value', (value) => {
    expect(() => parseRetries(value)).toThrow(`--retries must be a whole number from 0 to 10, got "${value}"`);
    expect(() => parseRetries(value, 'DRILL_RETRIES')).toThrow(/^DRILL_RETRIES must be/);
  });
});
