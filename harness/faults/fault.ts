import type { z } from 'zod';
import type { Precision } from '../../services/common/contract';
import type { BuiltModel } from '../../services/model/build';
import type { Effect } from '../topology/effect';
import type { Link, StartedReplicaContainer, TargetName } from '../topology/parts';
import type { Topology } from '../topology/topology';

export interface FaultContext<T extends Link = Link> {
  /** Unique within the drill (e.g. "fault-0"): names the toxics a fault adds so revert removes only its own. */
  id: string;
  topology: Topology;
  /** The models of this run (what replicas serve, and the next version), for faults that write weights. */
  models: Record<Precision | 'next', BuiltModel>;
  /** What the fault's `target` names: a replica, or the sync link (for network faults). */
  target: T;
}

// When a fault took effect, how that was seen and to within what: failover and unavailability count from it.
export type { Effect };

export const REPLICAS: readonly TargetName[] = ['primary', 'standby'];
export const ANY_TARGET: readonly TargetName[] = ['primary', 'standby', 'sync'];

/**
 * One kind of fault. Target, start and duration live in the scenario envelope; a fault type owns only its own
 * attributes and how to inject and revert them. inject must confirm the fault took effect (no silent pass).
 */
export interface FaultType<A = unknown, T extends Link = Link> {
  readonly description: string;
  /** Targets this fault can be aimed at; the scenario loader refuses others. */
  readonly targets: readonly TargetName[];
  readonly attributes: z.ZodType<A>;
  /** Expensive work done before the load starts, so inject does not stall the harness while it measures. */
  prepare?(ctx: FaultContext<T>, attrs: A): Promise<void>;
  /**
   * Injects the fault and says when it took effect, as observed from outside where possible (a port that
   * refuses, an API whose answer means the change is in place), not when the call returned.
   */
  inject(ctx: FaultContext<T>, attrs: A): Promise<Effect>;
  /**
   * Checks from outside that the injected fault took effect; returns why not. A drill whose fault did nothing
   * must not pass. Faults whose inject already confirms it (crash, freeze) leave this out.
   */
  verify?(ctx: FaultContext<T>, attrs: A): Promise<string | undefined>;
  revert(ctx: FaultContext<T>, attrs: A): Promise<void>;
}

/** A fault on the network path (any target). */
export const defineFault = <A>(fault: Omit<FaultType<A>, 'targets'>): FaultType<A> => ({ targets: ANY_TARGET, ...fault });
/** A fault on a replica's process or files (primary or standby). */
export const defineReplicaFault = <A>(fault: Omit<FaultType<A, StartedReplicaContainer>, 'targets'>): FaultType<A, StartedReplicaContainer> => ({ targets: REPLICAS, ...fault });
