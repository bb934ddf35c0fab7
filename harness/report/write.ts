import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal } from './journal';
import { renderJunit } from './junit';
import { renderSummaryMarkdown } from './summary';

/** Writes `<dir>/<scenario>/journal.json` for one drill. */
export function writeJournal(dir: string, journal: Journal): string {
  const drillDir = join(dir, journal.scenario.name);
  mkdirSync(drillDir, { recursive: true });
  const file = join(drillDir, 'journal.json');
  writeFileSync(file, JSON.stringify(journal) + '\n');
  return file;
}

/** Writes the run-level reports: junit.xml and summary.md (also appended to $GITHUB_STEP_SUMMARY when set). */
export function writeRunReports(dir: string, journals: readonly Journal[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'junit.xml'), renderJunit(journals));
  const summary = renderSummaryMarkdown(journals);
  writeFileSync(join(dir, 'summary.md'), summary);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, summary);
}
