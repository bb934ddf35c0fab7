// What every replica part does the same way, because each runs as one container: the process operations the
// faults use, its address from the host and its output. A replica kind adds what depends on its server.
import type { CreatedProxy } from '@testcontainers/toxiproxy';
import type Dockerode from 'dockerode';
import { AbstractStartedContainer, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import type { Precision, Role } from '../../../services/common/contract';
import { InfrastructureError } from '../../errors';
import type { ModelFiles, Readiness, StartedReplicaContainer } from '../parts';

/** How long reading a container's output may take before the lines read so far are returned. */
const LOG_READ_MS = 1000;

/** Docker takes whole seconds; rounding up keeps a short grace from becoming 0 (an immediate SIGKILL). */
const graceSeconds = (graceMs: number): number => Math.ceil(graceMs / 1000);

export abstract class StartedReplicaBase extends AbstractStartedContainer implements StartedReplicaContainer {
  readonly name: Role;
  readonly containerId: string;

  constructor(
    started: StartedTestContainer,
    readonly role: Role,
    readonly precision: Precision,
    readonly proxy: CreatedProxy,
    /** The port the server listens on inside the container. */
    private readonly port: number,
  ) {
    super(started);
    this.name = role;
    this.containerId = started.getId();
  }

  abstract readiness(timeoutMs?: number): Promise<Readiness>;
  abstract stageModel(key: string, files: ModelFiles): Promise<void>;
  abstract installStagedModel(key: string): Promise<void>;
  abstract modelFileProblem(expected: Uint8Array): Promise<string | undefined>;
  abstract reload(): Promise<{ status: number; body: string }>;

  async replaceModel(files: ModelFiles): Promise<void> {
    await this.stageModel('replace', files);
    await this.installStagedModel('replace');
  }

  async directUrl(): Promise<string> {
    const ports = (await (await this.docker()).inspect()).NetworkSettings.Ports[`${this.port}/tcp`];
    const hostPort = ports?.[0]?.HostPort;
    if (!hostPort) throw new InfrastructureError(`${this.role} has no published port ${this.port} (is the container running?)`);
    return `http://${this.getHost()}:${hostPort}`;
  }

  async logTail(lines: number): Promise<string[]> {
    const logs = await this.logs({ tail: lines });
    return new Promise<string[]>((resolve) => {
      const read: string[] = [];
      logs.on('data', (line: string | Buffer) => read.push(String(line).trimEnd()));
      logs.on('end', () => resolve(read));
      logs.on('error', () => resolve(read));
      setTimeout(() => resolve(read), LOG_READ_MS);
    });
  }

  async kill(): Promise<void> {
    await (await this.docker()).kill({ signal: 'SIGKILL' });
    if ((await this.state()).Running) throw new InfrastructureError(`${this.role}: the container is still running after SIGKILL`);
  }

  async pause(): Promise<void> {
    await (await this.docker()).pause();
    if (!(await this.state()).Paused) throw new InfrastructureError(`${this.role}: the container is not paused after pause`);
  }

  async unpause(): Promise<void> {
    if ((await this.state()).Paused) await (await this.docker()).unpause();
  }

  async stopGracefully(graceMs: number): Promise<void> {
    await (await this.docker()).stop({ t: graceSeconds(graceMs) });
    if ((await this.state()).Running) throw new InfrastructureError(`${this.role}: the container is still running after docker stop`);
  }

  async restartGracefully(graceMs: number): Promise<void> {
    const before = (await this.state()).StartedAt;
    await (await this.docker()).restart({ t: graceSeconds(graceMs) });
    const after = await this.state();
    if (!after.Running || after.StartedAt === before) {
      throw new InfrastructureError(`${this.role}: the container did not start again after docker restart (running ${after.Running}, started at ${after.StartedAt})`);
    }
  }

  async startIfStopped(): Promise<void> {
    if (!(await this.state()).Running) await (await this.docker()).start();
  }

  /** The Docker API handle, for what Testcontainers has no call for (kill, pause, restart with a grace period). */
  private async docker(): Promise<Dockerode.Container> {
    return (await getContainerRuntimeClient()).container.dockerode.getContainer(this.containerId);
  }

  private async state(): Promise<Dockerode.ContainerInspectInfo['State']> {
    return (await (await this.docker()).inspect()).State;
  }
}
