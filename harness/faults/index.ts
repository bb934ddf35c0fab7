import { bandwidth } from './bandwidth';
import { blackhole } from './blackhole';
import { corruptWeights } from './corrupt-weights';
import { crash } from './crash';
import { deploy } from './deploy';
import type { FaultType } from './fault';
import { freeze } from './freeze';
import { latency } from './latency';
import { limitData } from './limit-data';
import { partition } from './partition';
import { resetPeer } from './reset-peer';
import { restart } from './restart';
import { slicer } from './slicer';
import { slowClose } from './slow-close';
import { stop } from './stop';

/** Every fault a scenario can name, in one table. */
export const FAULTS = {
  crash,
  stop,
  restart,
  freeze,
  partition,
  latency,
  blackhole,
  reset_peer: resetPeer,
  bandwidth,
  limit_data: limitData,
  slow_close: slowClose,
  slicer,
  'corrupt-weights': corruptWeights,
  deploy,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own attribute type
} satisfies Record<string, FaultType<any, any>>;

export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];
