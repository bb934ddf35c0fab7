import { z } from 'zod';
import { defineReplicaFault } from './fault';
import { graceAttribute } from './grace';

/**
 * A graceful stop, as an orchestrator drains a node: SIGTERM, then SIGKILL if the process is still running after
 * `grace`. The service stops accepting, finishes requests in flight and exits. Revert starts it again.
 */
export const stop = defineReplicaFault({
  description: 'SIGTERM the target container, SIGKILL after a grace period (revert: start it again)',
  attributes: z.object({ grace: graceAttribute }).strict(),
  inject: ({ target }, { grace }) => target.stopGracefully(grace),
  revert: ({ target }) => target.startIfStopped(),
});
