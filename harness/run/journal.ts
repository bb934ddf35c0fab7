// The journal a drill starts with, and how it is closed: the single record every report renders.
import { performance } from 'node:perf_hooks';
import type { Diagnosis, Journal } from '../report/journal';
import type { DrillPlan } from './plan';
import type { Decision } from './verdict';

export function startJournal({ scenario, runId, prepared, models, own }: DrillPlan, startedAt: Date): Journal {
  const served = own ? { fp32: own } : models;
  return {
    schemaVersion: 1,
    scenario: { name: scenario.name, description: scenario.description, file: scenario.file },
    runId,
    verdict: 'error',
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      images: { ...prepared.images, ...scenario.topology.images, toxiproxy: prepared.toxiproxyImage },
      models: Object.fromEntries(Object.entries(served).map(([name, m]) => [name, { version: m.manifest.version, sha256: m.manifest.sha256, bytes: m.manifest.bytes }])),
      seed: scenario.load.requests.seed,
    },
    timing: { totalMs: 0 },
    faults: [],
    steadyState: {},
    thresholds: [],
    diagnosis: { replicas: [] },
  };
}

/** `started`: performance.now() when the run began. */
export function finishJournal(journal: Journal, decision: Decision, replicas: Diagnosis['replicas'], started: number, interrupted: boolean): Journal {
  journal.verdict = decision.verdict;
  journal.diagnosis = { ...(decision.firstFailure ? { firstFailure: decision.firstFailure } : {}), replicas };
  if (interrupted) journal.interrupted = true;
  journal.finishedAt = new Date().toISOString();
  journal.timing.totalMs = Math.round(performance.now() - started);
  return journal;
}
