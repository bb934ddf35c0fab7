// Running a drill again when it fails (`drill run --retries N`, the gate's DRILL_RETRIES): the last run is the
// drill's journal and decides its verdict, and the runs before it stay in that journal (and on disk), so a drill
// that fails and then passes is reported as flaky, never as a plain pass.
import { InvalidInputError } from './errors';
import type { EarlierAttempt, Journal } from './report/journal';
import { writeAttemptJournal } from './report/write';

/** A drill that needs more runs than this to pass is broken, not flaky; each run costs 10–60 s. */
export const MAX_RETRIES = 10;

/** `--retries` (or `DRILL_RETRIES`, named by `what`): a whole number from 0 to MAX_RETRIES. */
export function parseRetries(value: string, what = '--retries'): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > MAX_RETRIES) throw new InvalidInputError(`${what} must be a whole number from 0 to ${MAX_RETRIES}, got "${value}"`);
  return n;
}

export interface RetryOptions {
  /** Runs allowed after the first; 0 runs the drill once. */
  retries: number;
  /** Each failed run that is followed by another is kept at `<reportDir>/<drill>/attempt-<n>/`. */
  reportDir: string;
  /** A stopped run (Ctrl-C, SIGTERM) is never run again. */
  signal?: AbortSignal;
  /** Told of each failed run before the next starts. */
  onRetry?: (failed: Journal, attempt: number) => void;
  /**
   * Whether a run settles the question (default: it passed). A negative control, which must fail, is settled by
   * any run that judged something: only an errored one (e.g. the load generator fell behind) is run again.
   */
  settles?: (journal: Journal) => boolean;
}

/** The default of what settles a run: it passed. */
const passed = (journal: Journal): boolean => journal.verdict === 'pass';

/**
 * Runs the drill until it passes or `retries` more runs have failed. A run that errored is run again too, as
 * Surefire reruns errors: the infrastructure's hiccups are what a retry is for. Returns the last run's journal,
 * with the earlier runs in `earlierAttempts` when there were any.
 */
export async function runWithRetries(run: () => Promise<Journal>, opts: RetryOptions): Promise<Journal> {
  const earlier: EarlierAttempt[] = [];
  for (let attempt = 1; ; attempt++) {
    const journal = await run();
    const last = (opts.settles ?? passed)(journal) || journal.interrupted === true || opts.signal?.aborted === true || attempt > opts.retries;
    if (last) return earlier.length === 0 ? journal : { ...journal, earlierAttempts: earlier };
    earlier.push(earlierAttempt(journal, attempt, writeAttemptJournal(opts.reportDir, journal, attempt)));
    opts.onRetry?.(journal, attempt);
  }
}

function earlierAttempt(j: Journal, attempt: number, dir: string): EarlierAttempt {
  const after = j.steadyState.after;
  return {
    attempt,
    runId: j.runId,
    verdict: j.verdict === 'error' ? 'error' : 'fail',
    startedAt: j.startedAt,
    totalMs: j.timing.totalMs,
    ...(j.diagnosis.firstFailure === undefined ? {} : { firstFailure: j.diagnosis.firstFailure }),
    // An errored run judged nothing: thresholds it measured before the error are not its failures.
    failedThresholds: j.verdict === 'error' ? [] : j.thresholds.filter((t) => !t.pass),
    ...(after && !after.ok && j.verdict !== 'error' ? { failedSteadyStateAfter: after } : {}),
    dir,
  };
}
