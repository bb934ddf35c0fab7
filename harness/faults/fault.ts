import type { z } from 'zod';
import type { Topology, Replica } from '../topology/topology';

export interface FaultContext {
  /** Unique within the drill (e.g. "fault-0"): names the toxics a fault adds so revert removes only its own. */
  id: string;
  topology: Topology;
  /** The replica named by the fault's `target`. */
  target: Replica;
}

/**
 * One kind of fault. Target, start and duration live in the scenario envelope; a fault type owns only its own
 * attributes and how to inject and revert them. inject must confirm the fault took effect (no silent pass).
 */
export interface FaultType<A = unknown> {
  readonly description: string;
  readonly attributes: z.ZodType<A>;
  inject(ctx: FaultContext, attrs: A): Promise<void>;
  /**
   * Checks from outside that the injected fault took effect; returns why not. A drill whose fault did nothing
   * must not pass. Faults whose inject already confirms it (crash, freeze) leave this out.
   */
  verify?(ctx: FaultContext, attrs: A): Promise<string | undefined>;
  revert(ctx: FaultContext, attrs: A): Promise<void>;
}

export const defineFault = <A>(fault: FaultType<A>): FaultType<A> => fault;
