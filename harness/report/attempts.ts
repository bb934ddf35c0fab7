// A drill run more than once (`drill run --retries`), as every report names it. Maven Surefire's words, which
// Jenkins and GitLab read: a drill that failed and then passed is flaky; its verdict is still the last run's.
import type { Journal } from './journal';

export const attemptCount = (j: Journal): number => (j.earlierAttempts?.length ?? 0) + 1;

export const isFlaky = (j: Journal): boolean => j.verdict === 'pass' && attemptCount(j) > 1;

/** "PASS", "FAIL (interrupted)", "PASS (flaky; 2 attempts: fail, pass)", "FAIL (3 attempts: error, fail, fail)". */
export function verdictLabel(j: Journal): string {
  const attempts = [...(j.earlierAttempts ?? []).map((a) => a.verdict), j.verdict];
  const notes = [
    j.interrupted && 'interrupted',
    isFlaky(j) && 'flaky',
    attempts.length > 1 && `${attempts.length} attempts: ${attempts.join(', ')}`,
  ].filter((note): note is string => typeof note === 'string');
  return notes.length === 0 ? j.verdict.toUpperCase() : `${j.verdict.toUpperCase()} (${notes.join('; ')})`;
}
