// The fault timeline: each fault injected and reverted on schedule relative to the load's t0, with what happened
// recorded: when each was requested, when it took effect (and how that was seen), when it was reverted. A rollback (a stop condition reached) ends every fault window at once and cancels the faults not yet
// injected.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAULTS } from '../faults';
import type { Effect, FaultContext, FaultType } from '../faults/fault';
import type { JournalFault } from '../report/journal';
import type { Scenario } from '../scenario/load';
import type { Link, Topology } from '../topology/topology';
import type { Emitter } from './events';
import type { DrillPlan } from './plan';
import { micro } from '../measure/numbers';

type ScenarioFault = Scenario['faults'][number];

export interface Timeline {
  /** Settles when every fault has been injected (and reverted, when it has a duration). */
  done: Promise<void>;
  /** The journal's fault entries, filled in as the timeline runs. */
  entries: JournalFault[];
  /** Reverts whatever is still injected: at the end of the load, or on any error. */
  revertAll(): Promise<void>;
  rollback(): void;
}

const faultType = (f: ScenarioFault): FaultType<unknown, Link> => FAULTS[f.fault] as FaultType<unknown, Link>;

function faultContext({ scenario, runId, models }: DrillPlan, topology: Topology, i: number): FaultContext {
  return { id: `${runId}-fault-${i}`, topology, models, target: topology.target((scenario.faults[i] as ScenarioFault).target) };
}


/** A fault's request and effect (on performance.now()'s clock) as the journal records them: ms from the load's t0. */
export function journalTiming(requestedMs: number, effect: Effect, t0: number): Pick<JournalFault, 'requestedAtMs' | 'effectiveAtMs' | 'effect'> {
  const fromT0 = (ms: number): number => micro(ms - t0);
  return {
    requestedAtMs: fromT0(requestedMs),
    effectiveAtMs: fromT0(effect.atMs),
    effect: {
      method: effect.method,
      resolutionMs: micro(effect.resolutionMs),
      ...(effect.exitedAtMs !== undefined ? { exitedAtMs: fromT0(effect.exitedAtMs) } : {}),
    },
  };
}

/** Work a fault can do ahead (e.g. building damaged weights), done before the load so it cannot stall it. */
export async function prepareFaults(plan: DrillPlan, topology: Topology): Promise<void> {
  await Promise.all(plan.scenario.faults.map((f, i) => faultType(f).prepare?.(faultContext(plan, topology, i), f.attributes)));
}

export function runTimeline(plan: DrillPlan, topology: Topology, t0: number, events: Emitter, interrupt?: AbortSignal): Timeline {
  const faults = plan.scenario.faults;
  const rollback = new AbortController();
  const signal = interrupt ? AbortSignal.any([interrupt, rollback.signal]) : rollback.signal;
  const entries: JournalFault[] = faults.map((f) => ({ fault: f.fault, target: f.target, at: f.at, attributes: f.attributes }));
  const injected = new Set<number>();
  /** Moments a fault observes after its inject returned (a restarted port accepting again), recorded when seen. */
  const later: Promise<void>[] = [];
  /** Injected faults without a window: they last until the end of the drill, or a rollback. */
  const lasting = new Set<number>();
  const context = (i: number): FaultContext => faultContext(plan, topology, i);
  const report = (i: number, state: 'injected' | 'reverted' | 'failed', detail?: string): void => {
    const f = faults[i] as ScenarioFault;
    events.emit({ type: 'fault', drill: plan.scenario.name, fault: f.fault, target: f.target, state, ...(detail ? { detail } : {}) });
  };
  const untilMs = (atMs: number): Promise<void> => sleep(Math.max(0, t0 + atMs - performance.now()), undefined, { signal }).catch(() => undefined);

  const revert = async (i: number): Promise<void> => {
    if (!injected.delete(i)) return;
    const f = faults[i] as ScenarioFault;
    const entry = entries[i] as JournalFault;
    try {
      await faultType(f).revert(context(i), f.attributes);
      entry.revertedAtMs = performance.now() - t0;
      report(i, 'reverted');
    } catch (e) {
      entry.error = `revert failed: ${(e as Error).message}`;
      report(i, 'failed', entry.error);
    }
  };

  /** Injects fault i and checks it took effect; false when it did not. */
  const inject = async (i: number): Promise<boolean> => {
    const f = faults[i] as ScenarioFault;
    const entry = entries[i] as JournalFault;
    const requestedMs = performance.now();
    try {
      injected.add(i);
      const effect = await faultType(f).inject(context(i), f.attributes);
      Object.assign(entry, journalTiming(requestedMs, effect, t0));
      later.push(effect.acceptingAgain?.then((atMs) => { if (atMs !== undefined && entry.effect) entry.effect.acceptingAgainAtMs = micro(atMs - t0); }) ?? Promise.resolve());
      report(i, 'injected');
      const ineffective = await faultType(f).verify?.(context(i), f.attributes);
      if (ineffective) throw new Error(`the fault did not take effect: ${ineffective}`);
      return true;
    } catch (e) {
      entry.error = `inject failed: ${(e as Error).message}`;
      report(i, 'failed', entry.error);
      return false;
    }
  };

  const done = Promise.all(faults.map(async (f, i) => {
    await untilMs(f.at);
    if (signal.aborted || !(await inject(i))) return;
    if (f.duration !== undefined) {
      await untilMs(f.at + f.duration);
      await revert(i);
    } else if (rollback.signal.aborted) {
      await revert(i);
    } else {
      lasting.add(i);
    }
  })).then(() => Promise.all(later)).then(() => undefined);

  let rollingBack = Promise.resolve();
  return {
    done,
    entries,
    async revertAll() {
      await Promise.all([...injected].map(revert));
      await rollingBack;
    },
    rollback() {
      rollback.abort();
      rollingBack = Promise.all([...lasting].map(revert)).then(() => undefined);
    },
  };
}
