import { crash } from './crash';
import type { FaultType } from './fault';

/** Every fault a scenario can name, in one table. */
export const FAULTS = {
  crash,
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own attribute type
} satisfies Record<string, FaultType<any>>;

export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];
