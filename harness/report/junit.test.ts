import { create } from 'xmlbuilder2';
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
