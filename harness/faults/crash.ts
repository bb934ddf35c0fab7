import { z } from 'zod';
import { defineReplicaFault } from './fault';

/** SIGKILL the replica's container: no graceful shutdown, connections die mid-request. Revert starts it again. */
export const crash = defineReplicaFault({
  description: 'SIGKILL the target container (revert: start it again)',
  attributes: z.object({}).strict(),
  inject: ({ target }) => target.kill(),
  revert: ({ target }) => target.startIfStopped(),
});
