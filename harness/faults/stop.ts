import { z } from 'zod';
import { InfrastructureError } from '../errors';
import { dockerContainer, graceAttribute, startIfStopped } from './docker';
import { defineReplicaFault } from './fault';

/**
 * A graceful stop, as an orchestrator drains a node: SIGTERM, then SIGKILL if the process is still running after
 * `grace`. The service stops accepting, finishes requests in flight and exits. Revert starts it again.
 */
export const stop = defineReplicaFault({
  description: 'SIGTERM the target container, SIGKILL after a grace period (revert: start it again)',
  attributes: z.object({ grace: graceAttribute }).strict(),
  async inject({ target }, { grace }) {
    const container = await dockerContainer(target.container.getId());
    // Docker takes whole seconds; round up so a short grace is never cut to 0 (an immediate SIGKILL).
    await container.stop({ t: Math.ceil(grace / 1000) });
    if ((await container.inspect()).State.Running) throw new InfrastructureError(`stop of ${target.name}: the container is still running after docker stop`);
  },
  revert: ({ target }) => startIfStopped(target.container.getId()),
});
