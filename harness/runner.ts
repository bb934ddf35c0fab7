// Runs one scenario and returns its journal, as a sequence of stages (each in harness/run/):
// plan -> topology -> steady state -> load and faults -> measure -> steady state after -> verdict -> journal.
// Everything the run started is removed (or handed back to the pool) before it returns, also on error.
import { performance } from 'node:perf_hooks';
import { isInfrastructureError } from './errors';
import { loadShortfall } from './load/open-load';
import { measureConsistency } from './measure/consistency';
import { journalRecords, type Journal } from './report/journal';
import { deploy, type DeployOptions, type Deployment } from './run/deploy';
import { diagnose } from './run/diagnose';
import { emitter, type Emitter, type RunEvent } from './run/events';
import { finishJournal, startJournal } from './run/journal';
import { runLoadAndFaults } from './run/load';
import { measureDrill } from './run/measure';
import { planDrill, type DrillPlan, type PlanOptions } from './run/plan';
import { modelLoadsOf, recoverySteps } from './run/recovery';
import { awaitSteadyState } from './run/steady-state';
import { decideVerdict, type VerdictFacts } from './run/verdict';
import type { Scenario } from './scenario/load';

export type { RunEvent, RunPhase } from './run/events';

export interface RunOptions extends PlanOptions, DeployOptions {
  onEvent?: (event: RunEvent) => void;
  /** Interrupts the run: faults are reverted, the topology removed and a partial journal returned. */
  signal?: AbortSignal;
}

export async function runScenario(scenario: Scenario, opts: RunOptions = {}): Promise<Journal> {
  const started = performance.now();
  const startedAt = new Date();
  const events = emitter(scenario.name, opts.onEvent);
  events.phase('prepare');
  const plan = await planDrill(scenario, opts);
  const journal = startJournal(plan, startedAt);
  const facts: VerdictFacts = {};
  let deployment: Deployment | undefined;
  try {
    deployment = await deploy(plan, opts, events);
    journal.topology = deployment.info;
    journal.timing.topologyUpMs = deployment.upMs;
    opts.signal?.throwIfAborted();
    await drill(plan, deployment, journal, facts, events, opts.signal);
  } catch (e) {
    facts.error = { message: (e as Error).message, infrastructure: isInfrastructureError(e) };
  }
  facts.interrupted = opts.signal?.aborted === true;
  const found = deployment && !facts.interrupted ? await diagnose(deployment.topology).catch(() => ({ replicas: [] })) : { replicas: [] };
  const loads = deployment && !facts.interrupted ? await modelLoadsOf(deployment.topology) : {};
  const recovery = recoverySteps(journal.faults, loads, journal.startedAt);
  if (recovery.length) journal.recovery = recovery;
  const decision = decideVerdict(facts);
  finishJournal(journal, decision, found, started, facts.interrupted);
  // Only a drill that passed leaves a topology known to be sound; the next drill still resets and checks it.
  await deployment?.release(decision.verdict === 'pass');
  return journal;
}

/** The drill proper, on a running topology: what it finds goes into the journal and into the verdict's facts. */
async function drill(plan: DrillPlan, { topology }: Deployment, journal: Journal, facts: VerdictFacts, events: Emitter, signal?: AbortSignal): Promise<void> {
  const { scenario } = plan;
  if (scenario.steadyState.before) {
    events.phase('steady-state');
    // A fresh topology can take a moment to answer; an environment that never gets there is not a verdict.
    journal.steadyState.before = facts.steadyBefore = await awaitSteadyState(topology, plan);
    if (!facts.steadyBefore.ok) return;
  }
  // Before any fault, both replicas healthy: how far apart are their answers?
  const consistency = await measureConsistency(topology, plan.requests, plan.judge.protocol);
  signal?.throwIfAborted();
  const outcome = await runLoadAndFaults(plan, topology, events, signal);
  journal.timing.loadMs = outcome.loadMs;
  journal.faults = facts.faults = outcome.faults;
  journal.records = journalRecords(outcome.records, scenario.load.slo);
  if (outcome.rollback) journal.rollback = facts.rollback = outcome.rollback;
  const { measurements, thresholds } = measureDrill(scenario, outcome, consistency);
  journal.measurements = measurements;
  if (measurements.environment) facts.environment = measurements.environment;
  facts.phases = measurements.phases;
  facts.sloMs = scenario.load.slo;
  journal.thresholds = facts.thresholds = thresholds;
  const shortfall = loadShortfall(outcome.records, Math.round((scenario.load.rate * scenario.load.duration) / 1000));
  if (shortfall) facts.loadShortfall = shortfall;
  if (signal?.aborted || shortfall || outcome.faults.some((f) => f.error) || !scenario.steadyState.after) return;
  events.phase('recovery');
  journal.steadyState.after = facts.steadyAfter = await awaitSteadyState(topology, plan);
}
