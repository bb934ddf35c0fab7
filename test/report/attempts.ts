// Journals of drills run more than once, made by the same retry loop as `drill run --retries`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Journal } from '../../harness/report/journal';
import { runWithRetries } from '../../harness/retry';
import { recordedJournal } from './journals';

/** The recorded primary-crash journal (a FAIL on errors[run] <= 0) as the run that passed, with no failed request. */
export function passingJournal(): Journal {
  const j = recordedJournal();
  const { firstFailure: _, ...diagnosis } = j.diagnosis;
  return { ...j, runId: 'pass-run', verdict: 'pass', measurements: { ...j.measurements!, errors: 0 }, thresholds: j.thresholds.map((t) => ({ ...t, pass: true, ...(t.metric === 'errors' ? { observed: 0 } : {}) })), diagnosis };
}

/** The recorded primary-crash journal as a run that errored before it was judged. */
export const erroredJournal = (): Journal => ({
  ...recordedJournal(),
  runId: 'error-run',
  verdict: 'error',
  diagnosis: { firstFailure: 'infrastructure error: Docker did not answer', replicas: [] },
});

/** The last of `runs` as its drill's journal, the ones before it as its earlier attempts (each a failure or error). */
export async function retried(...runs: Journal[]): Promise<Journal> {
  const reportDir = mkdtempSync(join(tmpdir(), 'drill-attempts-'));
  try {
    let next = 0;
    return await runWithRetries(async () => runs[next++] as Journal, { retries: runs.length - 1, reportDir });
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}
