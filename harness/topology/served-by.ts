// Which replica answered, from the header the gateway sets: one rule for the load generator and the steady-state
// check alike.
import type { Role } from '../../services/common/contract';
import type { ServedBy } from './parts';

/** The reference gateway (services/router) names the replica by its role. */
export const REFERENCE_SERVED_BY: ServedBy = { header: 'x-served-by', primary: 'primary', standby: 'standby' };

/** The role `value` names under `servedBy`, or undefined when it names neither (or the gateway sent none). */
export function servedByRole(value: string | string[] | undefined, servedBy: ServedBy): Role | undefined {
  const last = (Array.isArray(value) ? value.join(',') : value)?.split(',').pop()?.trim();
  if (!last) return undefined;
  const names = (expected: string): boolean => last === expected || last.endsWith(expected);
  if (names(servedBy.primary)) return 'primary';
  if (names(servedBy.standby)) return 'standby';
  return undefined;
}
