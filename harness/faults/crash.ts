import { z } from 'zod';
import { InfrastructureError } from '../errors';
import { dockerContainer, startIfStopped } from './docker';
import { defineReplicaFault } from './fault';

/** SIGKILL the replica's container: no graceful shutdown, connections die mid-request. Revert starts it again. */
export const crash = defineReplicaFault({
  description: 'SIGKILL the target container (revert: start it again)',
  attributes: z.object({}).strict(),
  async inject({ target }) {
    const container = await dockerContainer(target.container.getId());
    await container.kill({ signal: 'SIGKILL' });
    const state = (await container.inspect()).State;
    if (state.Running) throw new InfrastructureError(`crash of ${target.name}: the container is still running after SIGKILL`);
  },
  revert: ({ target }) => startIfStopped(target.container.getId()),
});
