// A gate that cannot fail proves nothing: the same drills against a deliberately broken system must fail.
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import { builtInScenario, drillExpectingFailure, expectCleanBaseline, onProtocol } from './gate';

const REPORT_DIR = join(projectRoot, 'reports', 'negative-controls');

test('the crash drill fails against a gateway with failover switched off', async () => {
  const { journal, summary } = await drillExpectingFailure(builtInScenario('primary-crash'), REPORT_DIR, { gateway: { failover: false } });
  expect(journal.verdict).toBe('fail');
  const failed = journal.thresholds.filter((t) => !t.pass).map((t) => t.metric);
  expect(failed).toEqual(expect.arrayContaining(['errors', 'failoverMs']));
  // Errors come from the crash, not from a broken environment: the baseline before it was clean, and without
  // failover nearly every request after the crash failed.
  expectCleanBaseline(journal);
  const fault = journal.measurements!.phases.fault;
  expect(fault.errors).toBeGreaterThan(fault.requests * 0.9);
  expect(summary).toContain('FAIL errors[run] <= 0');
});

test('the latency drill fails against a gateway with failover switched off', async () => {
  const { journal } = await drillExpectingFailure(builtInScenario('primary-latency'), REPORT_DIR, { gateway: { failover: false } });
  expect(journal.verdict).toBe('fail');
  // Without failover the gateway can only wait for the slow primary (within its request budget): its 500 ms show.
  expect(journal.thresholds.find((t) => t.metric === 'p99Ms' && t.phase === 'fault')).toMatchObject({ pass: false });
  expectCleanBaseline(journal);
  // The toxic took effect: every answer in the fault window came from the slow primary.
  expect(journal.measurements?.phases.fault.servedBy).toEqual({ primary: expect.any(Number) });
});

test('the corrupted-weights drill catches a model server without checksum verification (wrong answers)', async () => {
  const { journal } = await drillExpectingFailure(builtInScenario('corrupted-weights-restart'), REPORT_DIR, { replicaArgs: { primary: ['--no-verify'] } });
  expect(journal.verdict).toBe('fail');
  // The unverified primary served the damaged weights under the manifest's identity; the judge saw through it.
  expect(journal.thresholds.find((t) => t.metric === 'wrongAnswers')).toMatchObject({ pass: false });
  expect(journal.measurements?.phases.fault.wrongAnswers).toBeGreaterThan(0);
  expect(journal.measurements?.phases.baseline.wrongAnswers).toBe(0);
});

test('the corrupted-weights drill catches a model server without checksum verification on OIP v2 too: the v2 judge can fail', async () => {
  const { journal } = await drillExpectingFailure(onProtocol(builtInScenario('corrupted-weights-restart'), 'oip-v2'), REPORT_DIR, { replicaArgs: { primary: ['--no-verify'] } });
  expect(journal.verdict).toBe('fail');
  expect(journal.thresholds.find((t) => t.metric === 'wrongAnswers')).toMatchObject({ pass: false });
  expect(journal.measurements?.phases.fault.wrongAnswers).toBeGreaterThan(0);
  expect(journal.measurements?.phases.baseline.wrongAnswers).toBe(0);
});

test('the wrong-model drill fails against a gateway without answer validation (wrong answers)', async () => {
  const { journal } = await drillExpectingFailure(builtInScenario('wrong-model-deploy'), REPORT_DIR, { gateway: { answerValidation: false } });
  expect(journal.verdict).toBe('fail');
  expect(journal.measurements?.phases.fault.wrongAnswers).toBeGreaterThan(0);
  expect(journal.measurements?.phases.baseline.wrongAnswers).toBe(0);
});

test('a stop condition rolls the crash back at once when the gateway cannot fail over, and the drill fails', async () => {
  const scenario = { ...builtInScenario('primary-crash'), rollback: { stopOn: { errors: 20 } } };
  const { journal } = await drillExpectingFailure(scenario, REPORT_DIR, { gateway: { failover: false } });
  expect(journal.verdict).toBe('fail');
  expect(journal.rollback?.reason).toBe('stop condition errors >= 20 reached');
  expect(journal.diagnosis.firstFailure).toMatch(/^rollback at \d+\.\d s: stop condition errors >= 20 reached/);
  // The crash (at 2 s, no window of its own) was reverted by the rollback, not at the end of the 6 s load.
  const [crash] = journal.faults;
  expect(crash?.effectiveAtMs).toBeDefined();
  expect(journal.rollback!.atMs).toBeGreaterThan(crash!.effectiveAtMs!);
  expect(crash?.revertedAtMs).toBeLessThan(journal.rollback!.atMs + 2000);
  expect(journal.steadyState.after?.ok).toBe(true);
});
