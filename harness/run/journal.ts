// The journal a drill starts with, and how it is closed: the single record every report renders.
import { performance } from 'node:perf_hooks';
import type { Diagnosis, Journal } from '../report/journal';
import type { Scenario } from '../scenario/load';
import { protocolOf } from '../scenario/schema';
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
      deployment: deploymentOf(scenario),
    },
    timing: { totalMs: 0 },
    faults: [],
    steadyState: {},
    thresholds: [],
    diagnosis: { replicas: [] },
  };
}

/** What the drill ran against, in words a report can show: the gateway, the model server and the protocol between. */
export function deploymentOf({ topology }: Scenario): NonNullable<Journal['environment']['deployment']> {
  const own = (what: { image: string } | string | undefined, fallback: string): string => (typeof what === 'object' ? `your own (${what.image})` : (what ?? fallback));
  const protocol = protocolOf(topology.protocol);
  return {
    gateway: own(topology.gateway, 'reference'),
    replicas: own(topology.replicas, 'reference'),
    protocol: protocol.name === 'v1' ? 'v1' : `oip-v2 (${protocol.encoding} tensors)`,
  };
}

/** `started`: performance.now() when the run began. */
export function finishJournal(journal: Journal, decision: Decision, found: Omit<Diagnosis, 'firstFailure'>, started: number, interrupted: boolean): Journal {
  journal.verdict = decision.verdict;
  journal.diagnosis = { ...(decision.firstFailure ? { firstFailure: decision.firstFailure } : {}), ...found };
  if (interrupted) journal.interrupted = true;
  journal.finishedAt = new Date().toISOString();
  journal.timing.totalMs = Math.round(performance.now() - started);
  return journal;
}
