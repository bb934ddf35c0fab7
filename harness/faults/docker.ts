import type Dockerode from 'dockerode';
import { z } from 'zod';
import { getContainerRuntimeClient } from 'testcontainers';

/** The Docker API handle of a started container, for what Testcontainers has no call for (kill, pause). */
export async function dockerContainer(id: string): Promise<Dockerode.Container> {
  return (await getContainerRuntimeClient()).container.dockerode.getContainer(id);
}

/** The revert of every fault that stops a replica's container (crash, stop, restart): start it if it is not running. */
export async function startIfStopped(id: string): Promise<void> {
  const container = await dockerContainer(id);
  if (!(await container.inspect()).State.Running) await container.start();
}

/** How long a SIGTERMed process may take to exit before it is killed (stop, restart). */
export const graceAttribute = z.number().int().min(0).max(60_000).default(10_000).describe('ms the process may take to exit after SIGTERM before it is killed');
