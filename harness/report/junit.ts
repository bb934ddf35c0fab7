// JUnit XML: one testsuite per drill, one testcase per threshold. Rendered from journals only.
import { create } from 'xmlbuilder2';
import type { Journal } from './journal';
import { drillSummaryText } from './text';

/** JUnit's `time` attribute: seconds as a bare decimal, which CI servers parse (a human-readable "1.2 s" they do not). */
const junitTime = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);

// An errored drill is one error case; otherwise one case per threshold plus the steady state after faults.
const caseCount = (j: Journal): number => (j.verdict === 'error' ? 1 : j.thresholds.length + (j.steadyState.after ? 1 : 0));
const failureCount = (j: Journal): number =>
  j.verdict === 'error' ? 0 : j.thresholds.filter((t) => !t.pass).length + (j.steadyState.after?.ok === false ? 1 : 0);

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
    suite.ele('properties')
      .ele('property', { name: 'runId', value: j.runId }).up()
      .ele('property', { name: 'file', value: j.scenario.file }).up();
    if (j.verdict === 'error') {
      // The system under test was not judged; say why instead of reporting thresholds.
      suite.ele('testcase', { classname: j.scenario.name, name: 'drill', time: junitTime(j.timing.totalMs) })
        .ele('error', { message: j.diagnosis.firstFailure ?? 'error', type: 'DrillError' }).txt(drillSummaryText(j));
    } else {
      for (const t of j.thresholds) {
        const testcase = suite.ele('testcase', { classname: j.scenario.name, name: t.name, time: '0' });
        if (!t.pass) {
          testcase.ele('failure', { message: `${t.name}: observed ${t.observed ?? 'never'}, limit ${t.limit}`, type: 'ThresholdFailed' })
            .txt(`${t.metric} in phase ${t.phase}: observed ${t.observed ?? 'never (the event did not happen)'}, limit ${t.bound === 'max' ? '<=' : '>='} ${t.limit}\n${j.diagnosis.firstFailure ?? ''}`);
        }
      }
    }
    const after = j.steadyState.after;
    if (after) {
      const testcase = suite.ele('testcase', { classname: j.scenario.name, name: 'steady state after faults', time: junitTime(after.elapsedMs) });
      if (!after.ok) testcase.ele('failure', { message: `the system did not recover: ${after.detail ?? ''}`, type: 'SteadyStateFailed' }).txt(after.detail ?? '');
    }
    suite.ele('system-out').txt(drillSummaryText(j));
  }
  return root.end({ prettyPrint: true });
}
