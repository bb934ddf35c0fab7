import { z } from 'zod';
import { defineReplicaFault } from './fault';
import { graceAttribute } from './grace';

/**
 * A restart, as after a deploy or an OOM-kill with restart policy: SIGTERM (SIGKILL after `grace`), then start.
 * The fault is over when the container runs again; its process still has to load and verify its model, which
 * is what the drill measures. Revert only makes sure it runs.
 */
export const restart = defineReplicaFault({
  description: 'restart the target container: SIGTERM, SIGKILL after a grace period, start (revert: nothing left to undo)',
  attributes: z.object({ grace: graceAttribute }).strict(),
  inject: ({ target }, { grace }) => target.restartGracefully(grace),
  revert: ({ target }) => target.startIfStopped(),
});
