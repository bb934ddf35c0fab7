// Shared by the drill tests: run a scenario through the same runner as `drill run`, keep its reports.
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import type { Journal } from '../../harness/report/journal';
import { drillSummaryText } from '../../harness/report/text';
import { writeJournal, writeRunReports } from '../../harness/report/write';
import { runWithRetries } from '../../harness/retry';
import { runScenario, type RunOptions } from '../../harness/runner';
import { loadScenario, type Scenario } from '../../harness/scenario/load';

export const GATE_REPORT_DIR = join(projectRoot, 'reports', 'gate');

export const builtInScenario = (name: string): Scenario => loadScenario(join(projectRoot, 'scenarios', `${name}.yaml`));

/**
 * Runs a drill, again up to `retries` more times while it fails (as `drill run --retries`), and writes its
 * journal under reports/<dir>/; the summary is the failure message.
 */
export async function drill(scenario: Scenario, reportDir: string, opts: RunOptions = {}, retries = 0): Promise<{ journal: Journal; summary: string }> {
  const journal = await runWithRetries(() => runScenario(scenario, opts), { retries, reportDir, signal: opts.signal });
  writeJournal(reportDir, journal);
  return { journal, summary: drillSummaryText(journal) };
}

export { writeRunReports };
