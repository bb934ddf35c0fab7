import { z } from 'zod';
import { InfrastructureError } from '../errors';
import { dockerContainer, graceAttribute, startIfStopped } from './docker';
import { defineReplicaFault } from './fault';

/**
 * A restart, as after a deploy or an OOM-kill with restart policy: SIGTERM (SIGKILL after `grace`), then start.
 * The fault is over when the container runs again; its process still has to load and verify its model, which
 * is what the drill measures. Revert only makes sure it runs.
 */
export const restart = defineReplicaFault({
  description: 'restart the target container: SIGTERM, SIGKILL after a grace period, start (revert: nothing left to undo)',
  attributes: z.object({ grace: graceAttribute }).strict(),
  async inject({ target }, { grace }) {
    const container = await dockerContainer(target.container.getId());
    const before = (await container.inspect()).State.StartedAt;
    await container.restart({ t: Math.ceil(grace / 1000) });
    const after = (await container.inspect()).State;
    if (!after.Running || after.StartedAt === before) throw new InfrastructureError(`restart of ${target.name}: the container did not start again (running ${after.Running}, started at ${after.StartedAt})`);
  },
  revert: ({ target }) => startIfStopped(target.container.getId()),
});
