import { create } from 'xmlbuilder2';
import { erroredJournal, passingJournal, retried } from '../../test/report/attempts';
import { recordedJournal } from '../../test/report/journals';
import type { Journal } from './journal';
import { renderJunit } from './junit';

const journal = (name: string, verdict: Journal['verdict'], pass: boolean): Journal => ({
  schemaVersion: 1,
  scenario: { name, description: 'd', file: `${name}.yaml` },
  runId: `${name}-1`,
  verdict,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:10.000Z',
  environment: { node: 'v20', platform: 'linux-x64', images: {}, models: { fp32: { version: 'v', sha256: 's', bytes: 1 } }, seed: 7 },
  timing: { totalMs: 10_000 },
  faults: [],
  steadyState: verdict === 'fail' ? { after: { ok: false, detail: 'primary not ready: 503', elapsedMs: 15_000 } } : {},
  thresholds: verdict === 'error' ? [] : [
    { name: 'errors[run] <= 0', metric: 'errors', phase: 'run', limit: 0, bound: 'max', observed: pass ? 0 : 3, pass },
    { name: 'failoverMs[run] <= 500', metric: 'failoverMs', phase: 'run', limit: 500, bound: 'max', observed: 12, pass: true },
  ],
  diagnosis: { replicas: [], ...(verdict === 'pass' ? {} : { firstFailure: 'something broke' }) },
});

it('renders one suite per drill and one case per threshold, with failures and errors', () => {
  const xml = renderJunit([journal('a', 'pass', true), journal('b', 'fail', false), journal('c', 'error', false)]);
  const doc = create(xml).end({ format: 'object' }) as { testsuites: { '@tests': string; '@failures': string; '@errors': string; testsuite: Array<{ '@name': string; testcase: unknown }> } };
  // a: 2 thresholds; b: 2 thresholds + steady state after; c: one error case.
  expect(doc.testsuites).toMatchObject({ '@tests': '6', '@failures': '2', '@errors': '1' });
  expect(doc.testsuites.testsuite.map((s) => s['@name'])).toEqual(['a', 'b', 'c']);
  expect(xml).toContain('<failure message="errors[run] &lt;= 0: observed 3, limit 0" type="ThresholdFailed">');
  expect(xml).toContain('<error message="something broke" type="DrillError">');
  expect(xml).toContain('<failure message="the system did not recover: primary not ready: 503" type="SteadyStateFailed">');
});

describe('a drill run again (Surefire\'s rerun convention)', () => {
  interface XmlElement { nodeType: number; tagName: string; textContent: string | null; getAttribute(name: string): string | null; getElementsByTagName(name: string): ArrayLike<XmlElement>; childNodes: ArrayLike<XmlElement> }
  const ELEMENT_NODE = 1;
  const childElements = (e: XmlElement): XmlElement[] => Array.from(e.childNodes).filter((c) => c.nodeType === ELEMENT_NODE);
  /** What the testcase `name` holds, one entry per child element: its tag, type and message, and its children's text. */
  const inCase = (xml: string, name: string): Array<{ tag: string; type: string | null; message: string | null; text: Record<string, string | null> }> => {
    const found = Array.from((create(xml).node as unknown as XmlElement).getElementsByTagName('testcase')).find((c) => c.getAttribute('name') === name);
    if (!found) throw new Error(`no testcase ${name} in\n${xml}`);
    return childElements(found).map((e) => ({
      tag: e.tagName,
      type: e.getAttribute('type'),
      message: e.getAttribute('message'),
      text: Object.fromEntries(childElements(e).map((c) => [c.tagName, c.textContent])),
    }));
  };

  it('fails then passes: every case passes, and the one that failed carries the failed attempt as <flakyFailure>', async () => {
    const xml = renderJunit([await retried(recordedJournal(), passingJournal())]);
    expect(xml).toContain('<testsuite name="primary-crash" tests="4" failures="0" errors="0"');
    expect(xml).toContain('<property name="attempts" value="2"/>');
    expect(xml).not.toMatch(/<failure|<error|rerun/);
    expect(inCase(xml, 'errors[run] <= 0')).toEqual([{
      tag: 'flakyFailure',
      type: 'ThresholdFailed',
      message: 'errors[run] <= 0: observed 67, limit 0',
      text: {
        stackTrace: 'errors in phase run: observed 67, limit <= 0\nthreshold errors[run] <= 0 failed: observed 67',
        'system-out': `attempt 1 of 2: FAIL (run ${recordedJournal().runId}, started ${recordedJournal().startedAt}, 22.5 s); its journal: primary-crash/attempt-1/journal.json`,
      },
    }]);
    // The thresholds the failed attempt held are plain passes.
    expect(inCase(xml, 'failoverMs[run] <= 500')).toEqual([]);
    expect(inCase(xml, 'steady state after faults')).toEqual([]);
  });

  it('errors then passes: the errored attempt held no case, so every case carries it as <flakyError>', async () => {
    const xml = renderJunit([await retried(erroredJournal(), passingJournal())]);
    for (const name of ['errors[run] <= 0', 'failoverMs[run] <= 500', 'steady state after faults']) {
      expect(inCase(xml, name).map((e) => [e.tag, e.type, e.message])).toEqual([['flakyError', 'DrillError', 'infrastructure error: Docker did not answer']]);
    }
  });

  it('fails every attempt: <failure> from the last, then <rerunFailure> for each one before it', async () => {
    const xml = renderJunit([await retried(recordedJournal(), recordedJournal(), recordedJournal())]);
    expect(xml).toContain('<testsuite name="primary-crash" tests="4" failures="1" errors="0"');
    expect(inCase(xml, 'errors[run] <= 0').map((e) => [e.tag, e.type, e.text['system-out']?.slice(0, 15)])).toEqual([
      ['failure', 'ThresholdFailed', undefined],
      ['rerunFailure', 'ThresholdFailed', 'attempt 1 of 3:'],
      ['rerunFailure', 'ThresholdFailed', 'attempt 2 of 3:'],
    ]);
    expect(inCase(xml, 'failoverMs[run] <= 500')).toEqual([]);
    expect(xml).not.toContain('flaky');
  });

  it('errors on its last attempt: its one error case carries each earlier attempt as <rerunFailure> or <rerunError>', async () => {
    const xml = renderJunit([await retried(recordedJournal(), erroredJournal(), erroredJournal())]);
    expect(inCase(xml, 'drill').map((e) => [e.tag, e.type, e.message])).toEqual([
      ['error', 'DrillError', 'infrastructure error: Docker did not answer'],
      ['rerunFailure', 'DrillFailed', 'threshold errors[run] <= 0 failed: observed 67'],
      ['rerunError', 'DrillError', 'infrastructure error: Docker did not answer'],
    ]);
  });
});
