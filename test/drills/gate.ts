// Shared by the drill tests: run a scenario through the same runner as `drill run`, keep its reports.
import { join } from 'node:path';
import { isError, phaseOf } from '../../harness/measure/records';
import { projectRoot } from '../../harness/paths';
import type { Journal } from '../../harness/report/journal';
import { drillSummaryText } from '../../harness/report/text';
import { writeJournal, writeRunReports } from '../../harness/report/write';
import { parseRetries, runWithRetries, type RetryOptions } from '../../harness/retry';
import { faultWindows } from '../../harness/run/measure';
import { runScenario, type RunOptions } from '../../harness/runner';
import { loadScenario, type Scenario } from '../../harness/scenario/load';

export const GATE_REPORT_DIR = join(projectRoot, 'reports', 'gate');
/**
 * DRILL_RETRIES=n is `drill run --retries n` for every drill test that must pass (not the negative controls, which
 * must fail): a drill that fails is run again, and one that then passes is flaky (its report keeps the failed runs).
 */
export const GATE_RETRIES = process.env.DRILL_RETRIES ? parseRetries(process.env.DRILL_RETRIES, 'DRILL_RETRIES') : 0;

export const builtInScenario = (name: string): Scenario => loadScenario(join(projectRoot, 'scenarios', `${name}.yaml`));

/** The protocols the gate runs every built-in drill on (topology.protocol). */
export const GATE_PROTOCOLS = ['v1', 'oip-v2'] as const;

/**
 * The drill on another protocol. Its name says so (`primary-crash-oip-v2`), so its reports do not overwrite the
 * v1 drill's; the file's own protocol, if it names one, is kept for v1.
 */
export function onProtocol(scenario: Scenario, protocol: (typeof GATE_PROTOCOLS)[number]): Scenario {
  if (protocol === 'v1') return scenario;
  return { ...scenario, name: `${scenario.name}-${protocol}`, topology: { ...scenario.topology, protocol } };
}

/**
 * Runs a drill, again up to `retries` more times while it fails (as `drill run --retries`), and writes its
 * journal under reports/<dir>/; the summary is the failure message.
 */
export async function drill(scenario: Scenario, reportDir: string, opts: RunOptions = {}, retries = 0, settles?: RetryOptions['settles']): Promise<{ journal: Journal; summary: string }> {
  const journal = await runWithRetries(() => runScenario(scenario, opts), { retries, reportDir, signal: opts.signal, ...(settles ? { settles } : {}) });
  writeJournal(reportDir, journal);
  return { journal, summary: drillSummaryText(journal) };
}

/**
 * A negative control: a drill that must fail. Only a run that ended in an error (it judged nothing, e.g. the load
 * generator fell behind on a busy machine) is run again, up to GATE_RETRIES more times; a fail or a pass stands.
 */
export function drillExpectingFailure(scenario: Scenario, reportDir: string, opts: RunOptions = {}): Promise<{ journal: Journal; summary: string }> {
  return drill(scenario, reportDir, opts, GATE_RETRIES, (j) => j.verdict !== 'error');
}

export { writeRunReports };

/**
 * A negative control's baseline, before any fault: clean, so what fails later is the fault's doing. One stray error
 * on a busy runner is not a broken environment (a clean-clone CI run once saw 1 in ~400 beside the package test),
 * so at most 1 % may fail; each one is printed, with its status, error and moment, for whoever reads the log.
 */
export function expectCleanBaseline(journal: Journal): void {
  const baseline = journal.measurements?.phases.baseline;
  expect(baseline?.requests).toBeGreaterThan(0);
  // The baseline as the measurements count it.
  const windows = faultWindows(journal.faults);
  const r = journal.records;
  const stray = r
    ? r.status.flatMap((status, i) => {
        const record = { sentMs: r.sentMs[i]!, doneMs: r.doneMs[i]!, status };
        return isError(record) && phaseOf(record, windows) === 'baseline' ? [`${status} ${r.error[i] ?? ''} done at ${record.doneMs} ms`] : [];
      })
    : [];
  if (stray.length > 0) console.warn(`${journal.scenario.name}: errors in the baseline, before any fault:\n${stray.join('\n')}`);
  expect(baseline!.errors).toBeLessThanOrEqual(baseline!.requests / 100);
  expect(baseline!.wrongAnswers).toBe(0);
}
