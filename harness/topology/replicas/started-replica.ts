// What every replica part does the same way, because each runs as one container: the process operations the
// faults use, its address from the host and its output. A replica kind adds what depends on its server.
import { performance } from 'node:perf_hooks';
import type { CreatedProxy } from '@testcontainers/toxiproxy';
import type Dockerode from 'dockerode';
import { AbstractStartedContainer, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import type { Precision, Role } from '../../../services/common/contract';
import { sha256Hex } from '../../../services/model/manifest';
import { InfrastructureError } from '../../errors';
import { dockerTimeToPerformanceMs, processEnded, whenAnswered, type Effect } from '../effect';
import type { ModelFiles, Readiness, StartedReplicaContainer } from '../parts';
import { ContainerShell } from '../container-shell';
import { logTail } from '../log-tail';
import { watchPort, type PortAddress } from './port-watch';

/** Docker takes whole seconds; rounding up keeps a short grace from becoming 0 (an immediate SIGKILL). */
const graceSeconds = (graceMs: number): number => Math.ceil(graceMs / 1000);

/**
 * Once Docker says the process exited, its port refuses within this (the sockets close as the process is torn
 * down); a probe that still saw no refusal by then cannot reach the container's address from here.
 */
const REFUSAL_AFTER_EXIT_MS = 200;
/** The port probe never runs longer than this: the longest grace period plus a start. */
const MAX_PROBE_MS = 70_000;
/** Moving staged files and hashing the model file in the container (sha256sum reads a GB in seconds). */
const INSTALL_TIMEOUT_MS = 30_000;

/** The checksum sha256sum printed (its line starts with it). */
const sha256Of = (output: string): string | undefined => /^([0-9a-f]{64})\s/m.exec(output)?.[1];

/** The sha256 of model bytes the harness holds, computed once per buffer (a GB model takes seconds). */
const heldSha256 = new WeakMap<Uint8Array, string>();
function sha256Once(bytes: Uint8Array): string {
  let hex = heldSha256.get(bytes);
  if (hex === undefined) heldSha256.set(bytes, (hex = sha256Hex(bytes)));
  return hex;
}

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
  abstract readonly readinessNamesModel: boolean;
  abstract installStagedModel(key: string): Promise<void>;
  /** Uploads model files to the staging place for `key` (the kind knows where its server reads them). */
  protected abstract upload(key: string, files: ModelFiles): Promise<void>;
  abstract reload(): Promise<{ status: number; body: string }>;

  /** Where the server reads its model file, in the container. */
  protected abstract readonly modelPath: string;
  /** The sha256 of the model file as the last install left it, read in the same command as the move. */
  private installedSha256: string | undefined;

  /** The shell the installs go through, opened when files are staged (ahead of the load). */
  private shell: ContainerShell | undefined;

  async stageModel(key: string, files: ModelFiles): Promise<void> {
    await this.upload(key, files);
    await this.openShell();
    // Hashed here, ahead of the load, so a fault's check that its install took effect is a lookup in its window.
    sha256Once(files.onnx);
  }

  /**
   * Runs `script` (the moves) as root and then, in the same command, sha256sum of the model file, through the shell
   * that staging opened: no `docker exec` of its own (~80 ms of CPU each, inside the fault window it would be in).
   */
  protected async installAndHash(script: string): Promise<void> {
    this.installedSha256 = undefined;
    const { exitCode, output } = await (await this.openShell()).run(`set -e; ${script}; sha256sum ${this.modelPath}`, INSTALL_TIMEOUT_MS);
    if (exitCode !== 0) throw new InfrastructureError(`installing staged model files in ${this.role} failed (exit ${exitCode}): ${output.trim()}`);
    this.installedSha256 = sha256Of(output);
    if (!this.installedSha256) throw new InfrastructureError(`installing staged model files in ${this.role}: sha256sum ${this.modelPath} printed no checksum: ${output.trim().slice(0, 200)}`);
  }

  /** The open shell, or a new one when there is none or the container restarted since (which ends it). */
  private async openShell(): Promise<ContainerShell> {
    if (!this.shell || this.shell.closed) this.shell = await ContainerShell.open(await this.docker(), this.role, 'root');
    return this.shell;
  }

  installedModelProblem(expected: Uint8Array): string | undefined {
    if (this.installedSha256 === undefined) return `no model files were installed in ${this.role}`;
    return this.checksumProblem(this.installedSha256, expected, 'after the install');
  }

  async modelFileProblem(expected: Uint8Array): Promise<string | undefined> {
    const { output, exitCode } = await this.exec(['sha256sum', this.modelPath]);
    const got = sha256Of(output);
    if (exitCode !== 0 || !got) return `cannot read the model file ${this.modelPath} in ${this.role}: ${output.trim()}`;
    return this.checksumProblem(got, expected, 'on disk');
  }

  private checksumProblem(got: string, expected: Uint8Array, when: string): string | undefined {
    const want = sha256Once(expected);
    return got === want ? undefined : `${this.role}'s ${this.modelPath} has sha256 ${got} ${when}, not the written ${want}`;
  }

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

  logTail(lines: number): Promise<string[]> {
    return logTail(this, lines);
  }


  async kill(): Promise<Effect> {
    return this.endProcess('docker kill', (c) => c.kill({ signal: 'SIGKILL' }), (state) => (state.Running ? 'the container is still running after SIGKILL' : undefined));
  }

  async pause(): Promise<Effect> {
    const docker = await this.docker();
    const effect = await whenAnswered('the Docker pause API answered (the cgroup freezer has frozen every process by then)', () => docker.pause());
    if (!(await this.state()).Paused) throw new InfrastructureError(`${this.role}: the container is not paused after pause`);
    return effect;
  }

  async unpause(): Promise<void> {
    if ((await this.state()).Paused) await (await this.docker()).unpause();
  }

  async stopGracefully(graceMs: number): Promise<Effect> {
    return this.endProcess('docker stop', (c) => c.stop({ t: graceSeconds(graceMs) }), (state) => (state.Running ? 'the container is still running after docker stop' : undefined));
  }

  async restartGracefully(graceMs: number): Promise<Effect> {
    const before = (await this.state()).StartedAt;
    return this.endProcess('docker restart', (c) => c.restart({ t: graceSeconds(graceMs) }), (after) => (
      !after.Running || after.StartedAt === before ? `the container did not start again after docker restart (running ${after.Running}, started at ${after.StartedAt})` : undefined));
  }

  async awaitAccepting(timeoutMs: number): Promise<Effect | undefined> {
    return watchPort(this.networkAddress(), 'accepting', performance.now(), timeoutMs).settle(timeoutMs);
  }

  async startIfStopped(): Promise<void> {
    if (!(await this.state()).Running) await (await this.docker()).start();
  }

  /**
   * Runs a Docker call that ends the server's process while probing its port, and says when that took effect.
   * `problem` reads the container's state after the call: why the call did not do what it should.
   */
  private async endProcess(call: string, end: (c: Dockerode.Container) => Promise<unknown>, problem: (state: Dockerode.ContainerInspectInfo['State']) => string | undefined): Promise<Effect> {
    const calledMs = performance.now();
    const container = await this.docker();
    const watch = watchPort(this.networkAddress(), 'refusing', calledMs, MAX_PROBE_MS);
    let answeredMs: number;
    let state: Dockerode.ContainerInspectInfo['State'];
    try {
      await end(container);
      answeredMs = performance.now();
      state = await this.state();
    } catch (e) {
      await watch.settle(0);
      throw e;
    }
    const refused = await watch.settle(REFUSAL_AFTER_EXIT_MS);
    const why = problem(state);
    if (why) throw new InfrastructureError(`${this.role}: ${why}`);
    // Docker's zero time (year 1) stands for "never exited".
    const exitedAtMs = state.FinishedAt && !state.FinishedAt.startsWith('0001-') ? dockerTimeToPerformanceMs(state.FinishedAt, performance.timeOrigin) : undefined;
    return processEnded({ call, calledMs, answeredMs, ...(refused ? { refused } : {}), ...(exitedAtMs !== undefined ? { exitedAtMs } : {}) });
  }

  /** The server's address on the container's own network, where a connect reaches its socket with no proxy in between. */
  private async networkAddress(): Promise<PortAddress> {
    const networks = Object.values((await (await this.docker()).inspect()).NetworkSettings.Networks);
    const host = networks.find((n) => n.IPAddress)?.IPAddress;
    if (!host) throw new InfrastructureError(`${this.role} has no IP address on a network (is the container running?)`);
    return { host, port: this.port };
  }

  /** The Docker API handle, for what Testcontainers has no call for (kill, pause, restart with a grace period). */
  private async docker(): Promise<Dockerode.Container> {
    return (await getContainerRuntimeClient()).container.dockerode.getContainer(this.containerId);
  }

  private async state(): Promise<Dockerode.ContainerInspectInfo['State']> {
    return (await (await this.docker()).inspect()).State;
  }
}
