// JUnit XML: one testsuite per drill, one testcase per threshold. Rendered from journals only.
// A drill run again (`--retries`) follows Maven Surefire's rerun convention, which Jenkins and GitLab read: the
// last run decides each testcase, and the earlier runs' failures of it are kept inside it, as <flakyFailure> /
// <flakyError> when the last run passed it and <rerunFailure> / <rerunError> when it failed it too.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import type { ThresholdResult } from '../measure/thresholds';
import { attemptCount } from './attempts';
import { seconds } from './format';
import type { EarlierAttempt, Journal, SteadyStateCheck } from './journal';
import { drillSummaryText } from './text';

/** JUnit's `time` attribute: seconds as a bare decimal, which CI servers parse (a human-readable "1.2 s" they do not). */
const junitTime = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);

// An errored drill is one error case; otherwise one case per threshold plus the steady state after faults.
const caseCount = (j: Journal): number => (j.verdict === 'error' ? 1 : j.thresholds.length + (j.steadyState.after ? 1 : 0));
const failureCount = (j: Journal): number =>
  j.verdict === 'error' ? 0 : j.thresholds.filter((t) => !t.pass).length + (j.steadyState.after?.ok === false ? 1 : 0);

const STEADY_AFTER = 'steady state after faults';

/** Why a testcase failed: the attributes and text of its <failure> (or of an earlier run's, inside it). */
interface CaseFailure {
  message: string;
  type: string;
  detail: string;
}

const thresholdFailure = (t: ThresholdResult, firstFailure: string | undefined): CaseFailure => ({
  message: `${t.name}: observed ${t.observed ?? 'never'}, limit ${t.limit}`,
  type: 'ThresholdFailed',
  detail: `${t.metric} in phase ${t.phase}: observed ${t.observed ?? 'never (the event did not happen)'}, limit ${t.bound === 'max' ? '<=' : '>='} ${t.limit}\n${firstFailure ?? ''}`,
});

const steadyStateFailure = (after: SteadyStateCheck): CaseFailure => ({
  message: `the system did not recover: ${after.detail ?? ''}`,
  type: 'SteadyStateFailed',
  detail: after.detail ?? '',
});

/**
 * How an earlier run failed the testcase `caseName`, or undefined when it passed it. A run that errored, or failed
 * as a whole (a rollback) without failing a case, failed every case: none of them held in it. So did every earlier
 * run, for the one case of a drill whose last run errored.
 */
function earlierFailure(a: EarlierAttempt, caseName: string, lastErrored: boolean): CaseFailure | undefined {
  if (lastErrored || (a.failedThresholds.length === 0 && !a.failedSteadyStateAfter)) {
    return { message: a.firstFailure ?? a.verdict, type: a.verdict === 'error' ? 'DrillError' : 'DrillFailed', detail: a.firstFailure ?? '' };
  }
  const threshold = a.failedThresholds.find((t) => t.name === caseName);
  if (threshold) return thresholdFailure(threshold, a.firstFailure);
  return caseName === STEADY_AFTER && a.failedSteadyStateAfter ? steadyStateFailure(a.failedSteadyStateAfter) : undefined;
}

/** The earlier runs' failures of one testcase, Surefire's way: flaky when the last run passed it, rerun when not. */
function addEarlierFailures(testcase: XMLBuilder, j: Journal, caseName: string, lastFailed: boolean): void {
  for (const a of j.earlierAttempts ?? []) {
    const failure = earlierFailure(a, caseName, j.verdict === 'error');
    if (!failure) continue;
    const run = testcase.ele(`${lastFailed ? 'rerun' : 'flaky'}${a.verdict === 'error' ? 'Error' : 'Failure'}`, { message: failure.message, type: failure.type });
    run.ele('stackTrace').txt(failure.detail);
    run.ele('system-out').txt(`attempt ${a.attempt} of ${attemptCount(j)}: ${a.verdict.toUpperCase()} (run ${a.runId}, started ${a.startedAt}, ${seconds(a.totalMs)}); its journal: ${j.scenario.name}/${a.dir}/journal.json`);
  }
}

/** One testcase: the last run's <failure> or <error> when it failed, then the earlier runs' failures of it. */
function addCase(suite: XMLBuilder, j: Journal, name: string, time: string, failure?: CaseFailure, element: 'failure' | 'error' = 'failure'): void {
  const testcase = suite.ele('testcase', { classname: j.scenario.name, name, time });
  if (failure) testcase.ele(element, { message: failure.message, type: failure.type }).txt(failure.detail);
  addEarlierFailures(testcase, j, name, failure !== undefined);
}

export function renderJunit(journals: readonly Journal[]): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: 'failover-drill',
    tests: journals.reduce((n, j) => n + caseCount(j), 0),
    failures: journals.reduce((n, j) => n + failureCount(j), 0),
    errors: journals.filter((j) => j.verdict === 'error').length,
    time: junitTime(journals.reduce((n, j) => n + j.timing.totalMs, 0)),
  });
  for (const j of journals) {
    const suite = root.ele('testsuite', {
      name: j.scenario.name,
      tests: caseCount(j),
      failures: failureCount(j),
      errors: j.verdict === 'error' ? 1 : 0,
      skipped: 0,
      time: junitTime(j.timing.totalMs),
      timestamp: j.startedAt.replace(/\.\d+Z$/, ''),
    });
    const properties = suite.ele('properties')
      .ele('property', { name: 'runId', value: j.runId }).up()
      .ele('property', { name: 'file', value: j.scenario.file }).up();
    if (attemptCount(j) > 1) properties.ele('property', { name: 'attempts', value: attemptCount(j) });
    if (j.verdict === 'error') {
      // The system under test was not judged; say why instead of reporting thresholds.
      addCase(suite, j, 'drill', junitTime(j.timing.totalMs), { message: j.diagnosis.firstFailure ?? 'error', type: 'DrillError', detail: drillSummaryText(j) }, 'error');
    } else {
      for (const t of j.thresholds) addCase(suite, j, t.name, '0', t.pass ? undefined : thresholdFailure(t, j.diagnosis.firstFailure));
    }
    const after = j.steadyState.after;
    if (after) addCase(suite, j, STEADY_AFTER, junitTime(after.elapsedMs), after.ok ? undefined : steadyStateFailure(after));
    suite.ele('system-out').txt(drillSummaryText(j));
  }
  return root.end({ prettyPrint: true });
}
