import type Dockerode from 'dockerode';
import { getContainerRuntimeClient } from 'testcontainers';

/** The Docker API handle of a started container, for what Testcontainers has no call for (kill, pause). */
export async function dockerContainer(id: string): Promise<Dockerode.Container> {
  return (await getContainerRuntimeClient()).container.dockerode.getContainer(id);
}
