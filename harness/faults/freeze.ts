import { z } from 'zod';
import { defineReplicaFault } from './fault';

/** Every process in the target is paused (cgroup freezer): it holds connections open and answers nothing. */
export const freeze = defineReplicaFault({
  description: 'pause every process of the target container (revert: unpause)',
  attributes: z.object({}).strict(),
  inject: ({ target }) => target.pause(),
  revert: ({ target }) => target.unpause(),
});
