// Journals for the report tests: a real one recorded by `drill run`, and a synthetic one full of hostile text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal } from '../../harness/report/journal';
import type { PhaseMeasurements } from '../../harness/measure/measure';

/**
 * primary-crash as `drill run` recorded it (a FAIL: 67 failed requests, 1200 in all), before journals recorded
 * each request's outcome and the measured moments: the reports must still render it.
 */
export const recordedJournal = (): Journal =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'primary-crash.journal.json'), 'utf8')) as Journal;

export const HOSTILE = '</script><img src=x onerror="window.__pwned=1">&amp;\u2028';

const phase = (requests: number, errors: number, wrong: number, servedBy: Record<string, number>): PhaseMeasurements => ({
  requests, errors, uncleanErrors: 0, wrongAnswers: wrong, lateResponses: 0, servedBy,
  latency: { count: requests - errors, p50Ms: 3, p90Ms: 8, p99Ms: 20, maxMs: 40 },
});

/**
 * 40 requests, one every 100 ms: 0-9 primary, 10-14 failed, 15-28 standby, 29 a good answer and 30 a wrong one from
 * a replica named with hostile text, 31-39 primary. The fault starts at 1 s and is never reverted. Every free-text field is hostile.
 */
export function hostileJournal(name = 'hostile'): Journal {
  const n = 40;
  const sentMs = Array.from({ length: n }, (_, i) => i * 100);
  const servedBy = sentMs.map((_, i): string | null => (i < 10 || i > 30 ? 'primary' : i < 15 ? null : i >= 29 ? HOSTILE : 'standby'));
  return {
    schemaVersion: 1,
    scenario: { name, description: `description ${HOSTILE}`, file: `scenarios/${HOSTILE}.yaml` },
    runId: `run-${HOSTILE}`,
    verdict: 'fail',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:10.000Z',
    environment: { node: 'v20.0.0', platform: 'linux-x64', images: { [HOSTILE]: HOSTILE }, models: { [HOSTILE]: { version: HOSTILE, sha256: 'ab'.repeat(32), bytes: 1 } }, seed: 7 },
    timing: { topologyUpMs: 1000, loadMs: 4000, totalMs: 10_000 },
    faults: [{ fault: HOSTILE, target: 'primary', at: 1000, attributes: { note: HOSTILE }, injectedAtMs: 1000 }],
    steadyState: { before: { ok: true, elapsedMs: 100 }, after: { ok: false, detail: `primary not ready: ${HOSTILE}`, elapsedMs: 15_000 } },
    measurements: {
      failoverMs: 520,
      unavailabilityMs: 480,
      failbackMs: null,
      moments: { faultAtMs: 1000, failoverEndedAtMs: 1520, lastRevertAtMs: null, failbackAtMs: null },
      errors: 5,
      wrongAnswers: 1,
      lateResponses: 0,
      phases: {
        run: phase(n, 5, 1, { primary: 19, standby: 14, [HOSTILE]: 1 }),
        baseline: phase(10, 0, 0, { primary: 10 }),
        fault: phase(30, 5, 1, { primary: 9, standby: 14, [HOSTILE]: 1 }),
        recovery: phase(0, 0, 0, {}),
      },
    },
    thresholds: [
      { name: 'errors[run] <= 0', metric: 'errors', phase: 'run', limit: 0, bound: 'max', observed: 5, pass: false },
      { name: 'failoverMs[run] <= 1000', metric: 'failoverMs', phase: 'run', limit: 1000, bound: 'max', observed: 520, pass: true },
      { name: 'failbackMs[run] <= 1000', metric: 'failbackMs', phase: 'run', limit: 1000, bound: 'max', observed: null, pass: false },
    ],
    diagnosis: {
      firstFailure: `threshold errors[run] <= 0 failed: ${HOSTILE}`,
      replicas: [
        { role: 'primary', readiness: `503 ${HOSTILE}`, logTail: ['\u001b[0;93mwarning in colour\u001b[m', HOSTILE] },
        { role: 'standby', readiness: '200 {"status":"ready"}', logTail: [] },
      ],
      gateway: { logTail: [`[error] no live upstreams ${HOSTILE}`] },
    },
    records: {
      sentMs,
      doneMs: sentMs.map((s, i) => s + (i >= 10 && i < 15 ? 0 : 2 + (i % 7))),
      status: servedBy.map((s) => (s === null ? 503 : 200)),
      servedBy,
      wrong: sentMs.map((_, i) => i === 30),
      error: servedBy.map((s) => (s === null ? 'no_healthy_replica' : null)),
      outcome: servedBy.map((s, i) => (s === null ? 'failed' : i === 30 ? 'wrong' : 'good')),
      sloMs: 100,
    },
  };
}
