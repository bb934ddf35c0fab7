import { z } from 'zod';
import { InfrastructureError } from '../errors';
import { dockerContainer } from './docker';
import { defineReplicaFault } from './fault';

/** Every process in the target is paused (cgroup freezer): it holds connections open and answers nothing. */
export const freeze = defineReplicaFault({
  description: 'pause every process of the target container (revert: unpause)',
  attributes: z.object({}).strict(),
  async inject({ target }) {
    const container = await dockerContainer(target.container.getId());
    await container.pause();
    if (!(await container.inspect()).State.Paused) throw new InfrastructureError(`freeze of ${target.name}: the container is not paused after pause`);
  },
  async revert({ target }) {
    const container = await dockerContainer(target.container.getId());
    if ((await container.inspect()).State.Paused) await container.unpause();
  },
});
