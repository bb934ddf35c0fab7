import { z } from 'zod';
import { InfrastructureError } from '../errors';
import { dockerContainer } from './docker';
import { defineReplicaFault } from './fault';

/**
 * A graceful stop, as an orchestrator drains a node: SIGTERM, then SIGKILL if the process is still running after
 * `grace`. The service stops accepting, finishes requests in flight and exits. Revert starts it again.
 */
export const stop = defineReplicaFault({
  description: 'SIGTERM the target container, SIGKILL after a grace period (revert: start it again)',
  attributes: z.object({
    grace: z.number().int().min(0).max(60_000).default(10_000).describe('ms the process may take to exit after SIGTERM before it is killed'),
  }).strict(),
  async inject({ target }, { grace }) {
    const container = await dockerContainer(target.container.getId());
    // Docker takes whole seconds; round up so a short grace is never cut to 0 (an immediate SIGKILL).
    await container.stop({ t: Math.ceil(grace / 1000) });
    if ((await container.inspect()).State.Running) throw new InfrastructureError(`stop of ${target.name}: the container is still running after docker stop`);
  },
  async revert({ target }) {
    const container = await dockerContainer(target.container.getId());
    if (!(await container.inspect()).State.Running) await container.start();
  },
});
