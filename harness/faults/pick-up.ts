// How a replica picks up model files a fault installed: shared by the corrupt-weights and deploy faults and
// their reverts.
import { whenAnswered, type Effect } from '../topology/effect';
import type { StartedReplicaContainer } from '../topology/parts';

export const PICKUPS = ['restart', 'reload'] as const;
export type Pickup = (typeof PICKUPS)[number];

/** A restart lets the process exit within this; the new files are already on disk. */
const RESTART_GRACE_MS = 1000;

/**
 * restart: the process starts again and verifies what is on disk (SIGTERM first, as docker restart does).
 * reload: the admin API, as a deploy pipeline would; a refused reload is an outcome, not an error.
 */
export async function pickUp(target: StartedReplicaContainer, how: Pickup): Promise<void> {
  if (how === 'restart') await target.restartGracefully(RESTART_GRACE_MS);
  else await target.reload();
}

/**
 * Moves the files staged under `key` into place, then has the replica pick them up. The fault takes effect with
 * the move (a restart or reload that follows is how the replica meets it, and part of what the drill measures).
 */
export async function installAndPickUp(target: StartedReplicaContainer, key: string, how: Pickup): Promise<Effect> {
  const installed = await whenAnswered('the staged model files were moved into place (the shell kept open in the container answered)', () => target.installStagedModel(key));
  await pickUp(target, how);
  return installed;
}
