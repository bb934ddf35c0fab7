// A gate that cannot fail proves nothing: the same drills against a deliberately broken system must fail.
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import { builtInScenario, drill } from './gate';

const REPORT_DIR = join(projectRoot, 'reports', 'negative-controls');

test('the crash drill fails against a gateway with failover switched off', async () => {
  const { journal, summary } = await drill(builtInScenario('primary-crash'), REPORT_DIR, { gateway: { failover: false } });
  expect(journal.verdict).toBe('fail');
  const failed = journal.thresholds.filter((t) => !t.pass).map((t) => t.metric);
  expect(failed).toEqual(expect.arrayContaining(['errors', 'failoverMs']));
  // Errors come from the crash, not from a broken environment: the baseline before it was clean.
  expect(journal.measurements?.phases.baseline.errors).toBe(0);
  expect(journal.measurements?.phases.fault.errors).toBeGreaterThan(0);
  expect(summary).toContain('FAIL errors[run] <= 0');
});
