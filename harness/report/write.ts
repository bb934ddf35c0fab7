import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors';
import { renderDrillHtml, renderIndexHtml } from './html';
import type { Journal } from './journal';
import { renderJunit } from './junit';
import { renderSummaryMarkdown } from './summary';

/** Writes `<dir>/<scenario>/journal.json` and its HTML report `<dir>/<scenario>/index.html` for one drill. */
export function writeJournal(dir: string, journal: Journal): string {
  return writeDrillFiles(join(dir, journal.scenario.name), journal);
}

/**
 * Keeps a failed run of a drill that is run again, at `<dir>/<scenario>/attempt-<n>/` (journal.json and
 * index.html), so a flaky pass can be diagnosed. Returns that directory relative to the drill's: `attempt-<n>`.
 */
export function writeAttemptJournal(dir: string, journal: Journal, attempt: number): string {
  const attemptDir = `attempt-${attempt}`;
  writeDrillFiles(join(dir, journal.scenario.name, attemptDir), journal);
  return attemptDir;
}

function writeDrillFiles(drillDir: string, journal: Journal): string {
  mkdirSync(drillDir, { recursive: true });
  const file = join(drillDir, 'journal.json');
  writeFileSync(file, JSON.stringify(journal) + '\n');
  writeFileSync(join(drillDir, 'index.html'), renderDrillHtml(journal));
  return file;
}

/** Writes the run-level reports: junit.xml, index.html and summary.md (also appended to $GITHUB_STEP_SUMMARY when set). */
export function writeRunReports(dir: string, journals: readonly Journal[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'junit.xml'), renderJunit(journals));
  writeFileSync(join(dir, 'index.html'), renderIndexHtml(journals));
  const summary = renderSummaryMarkdown(journals);
  writeFileSync(join(dir, 'summary.md'), summary);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, summary);
}

/** Reads a journal written by `drill run`, with an error that names the file when it is not one. */
export function readJournal(file: string): Journal {
  let journal: Partial<Journal>;
  try {
    journal = JSON.parse(readFileSync(file, 'utf8')) as Partial<Journal>;
  } catch (cause) {
    throw new InvalidInputError(`cannot read journal ${file}: ${(cause as Error).message}`, { cause });
  }
  if (journal.schemaVersion !== 1 || !journal.scenario?.name || !journal.verdict) {
    throw new InvalidInputError(`${file} is not a failover-drill journal (schemaVersion 1 with scenario and verdict)`);
  }
  return journal as Journal;
}
