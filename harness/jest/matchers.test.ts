import type { Journal } from '../report/journal';
import { hostileJournal, recordedJournal } from '../../test/report/journals';
import { drillMatchers } from './matchers';
import './index';

/** The recorded primary-crash run made into a pass: every threshold held, nothing failed. */
function passingJournal(): Journal {
  const j = recordedJournal();
  const measurements = { ...(j.measurements as NonNullable<Journal['measurements']>), errors: 0 };
  return { ...j, verdict: 'pass', measurements, thresholds: j.thresholds.map((t) => ({ ...t, pass: true, observed: t.metric === 'errors' ? 0 : t.observed })), diagnosis: { ...j.diagnosis, firstFailure: undefined } as Journal['diagnosis'] };
}

const result = (journal: Journal) => ({ journal, htmlPath: `/reports/${journal.scenario.name}/index.html` });

describe('drill matchers', () => {
  it('pass on a passing drill, through expect', () => {
    const passing = result(passingJournal());
    expect(passing).toPassDrill();
    expect(passing).toFailOverWithin(300);
    expect(passing).toServeNoWrongAnswers();
    expect(passing).toLoseNoRequests();
  });

  it('toPassDrill fails a failed drill, printing its summary, the first failing threshold and the HTML report', () => {
    const failed = result(recordedJournal());
    const outcome = drillMatchers.toPassDrill(failed);
    expect(outcome.pass).toBe(false);
    const message = outcome.message();
    expect(message).toContain('expected drill primary-crash to pass; its verdict is fail (threshold errors[run] <= 0 failed: observed 67)');
    expect(message).toContain('FAIL errors[run] <= 0 (observed 67)');
    expect(message).toContain('first failing threshold: errors[run] <= 0 (observed 67)');
    expect(message).toContain('HTML report: /reports/primary-crash/index.html');
    expect(() => expect(failed).toPassDrill()).toThrow('first failing threshold: errors[run] <= 0');
  });

  it('toLoseNoRequests counts failed requests', () => {
    const outcome = drillMatchers.toLoseNoRequests(result(recordedJournal()));
    expect(outcome.pass).toBe(false);
    expect(outcome.message()).toMatch(/^expected drill primary-crash to lose no request; 67 request\(s\) failed/);
  });

  it('toFailOverWithin compares the measured failover with the limit, and says when there was none', () => {
    const crash = result(recordedJournal());
    expect(drillMatchers.toFailOverWithin(crash, 300).pass).toBe(true);
    const slow = drillMatchers.toFailOverWithin(crash, 100);
    expect(slow.pass).toBe(false);
    expect(slow.message()).toContain('to fail over within 100 ms; it failed over in 248.5 ms');
    const never = recordedJournal();
    never.measurements = { ...(never.measurements as NonNullable<Journal['measurements']>), failoverMs: null };
    expect(drillMatchers.toFailOverWithin(result(never), 1e9).message()).toContain('it never failed over');
  });

  it('toServeNoWrongAnswers fails a drill that served one, and accepts a bare journal', () => {
    const hostile = hostileJournal();
    const outcome = drillMatchers.toServeNoWrongAnswers(hostile);
    expect(outcome.pass).toBe(false);
    expect(outcome.message()).toContain(`it served ${hostile.measurements?.wrongAnswers} wrong answer(s)`);
    expect(outcome.message()).not.toContain('HTML report');
  });

  it('a drill that measured nothing fails the measuring matchers; .not reads as a negation', () => {
    const errored: Journal = { ...recordedJournal(), verdict: 'error' };
    delete errored.measurements;
    expect(drillMatchers.toServeNoWrongAnswers(errored).message()).toContain('it measured nothing (verdict error)');
    expect(() => expect(result(passingJournal())).not.toPassDrill()).toThrow('expected drill primary-crash not to pass');
  });

  it('refuses something that is not a drill result', () => {
    const outcome = drillMatchers.toPassDrill({ verdict: 'pass' });
    expect(outcome.pass).toBe(false);
    expect(outcome.message()).toContain('expected a drill result (from runDrill) or a journal, got {"verdict":"pass"}');
  });
});
