// The reference deployment a drill runs against (DESIGN.md):
//   load -> gateway -> toxiproxy:primary -> primary ; gateway -> toxiproxy:standby -> standby
// all on one labelled Docker network. Teardown removes everything carrying this run's label, so a step that
// throws halfway leaves nothing behind either.
import { ToxiProxyContainer, type CreatedProxy, type StartedToxiProxyContainer } from '@testcontainers/toxiproxy';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import type { Role } from '../../services/common/contract';
import { InfrastructureError } from '../errors';
import type { ServiceImages } from './images';
import { runLabels } from './labels';
import { sweep } from './cleanup';

const SERVICE_PORT = 8080;

export interface GatewayOptions {
  /** false switches request-level failover off: the negative control for the crash drill. */
  failover: boolean;
  attemptTimeoutMs?: number;
}

export interface TopologyOptions {
  runId: string;
  images: ServiceImages;
  toxiproxyImage: string;
  gateway: GatewayOptions;
  /** Label the topology as kept: `drill clean` removes it, the sweep of dead runs does not. */
  keep?: boolean;
}

export interface Replica {
  role: Role;
  container: StartedTestContainer;
  /** The Toxiproxy proxy the gateway reaches this replica through. */
  proxy: CreatedProxy;
  /**
   * Direct URL from the host, bypassing gateway and proxy (consistency checks, readiness). Read from Docker on
   * each call: a restarted container gets a new host port.
   */
  directUrl(): Promise<string>;
}

export class Topology implements AsyncDisposable {
  constructor(
    readonly runId: string,
    readonly networkName: string,
    readonly toxiproxy: StartedToxiProxyContainer,
    readonly replicas: Record<Role, Replica>,
    readonly gateway: StartedTestContainer,
  ) {}

  get gatewayUrl(): string {
    return `http://${this.gateway.getHost()}:${this.gateway.getMappedPort(SERVICE_PORT)}`;
  }

  /** How to reach each part from the host, for a kept topology. */
  async endpoints(): Promise<Record<string, string>> {
    return {
      gateway: this.gatewayUrl,
      primary: await this.replicas.primary.directUrl(),
      standby: await this.replicas.standby.directUrl(),
      'toxiproxy API': `http://${this.toxiproxy.getHost()}:${this.toxiproxy.getMappedPort(8474)}`,
      network: this.networkName,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await sweep({ onlyDead: false, runId: this.runId });
  }
}

function replicaContainer(image: string, role: Role, networkName: string, labels: Record<string, string>): GenericContainer {
  return new GenericContainer(image)
    .withNetworkMode(networkName)
    .withNetworkAliases(role)
    .withLabels({ ...labels, 'failover-drill.role': role })
    .withCommand(['--model', '/models/default', '--port', String(SERVICE_PORT), '--role', role, '--name', role])
    .withExposedPorts(SERVICE_PORT)
    .withWaitStrategy(Wait.forHttp('/healthz', SERVICE_PORT).withReadTimeout(200))
    .withStartupTimeout(30_000);
}

export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  const labels = runLabels(opts.runId, opts.keep === true);
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const networkName = `failover-drill-${opts.runId}`;
  try {
    await docker.createNetwork({ Name: networkName, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
    const [toxiproxy, primary, standby] = await Promise.all([
      new ToxiProxyContainer(opts.toxiproxyImage).withNetworkMode(networkName).withNetworkAliases('toxiproxy').withLabels(labels).start(),
      replicaContainer(opts.images.inference, 'primary', networkName, labels).start(),
      replicaContainer(opts.images.inference, 'standby', networkName, labels).start(),
    ]);
    // Sequential: the module picks the next free listen port from the current proxy list.
    const primaryProxy = await toxiproxy.createProxy({ name: 'primary', upstream: `primary:${SERVICE_PORT}` });
    const standbyProxy = await toxiproxy.createProxy({ name: 'standby', upstream: `standby:${SERVICE_PORT}` });
    const inNetwork = (proxy: CreatedProxy): string => `http://toxiproxy:${proxy.instance.listen.split(':').pop()}`;
    const gatewayArgs = [
      '--primary', inNetwork(primaryProxy),
      '--standby', inNetwork(standbyProxy),
      '--port', String(SERVICE_PORT),
      ...(opts.gateway.attemptTimeoutMs ? ['--attempt-timeout-ms', String(opts.gateway.attemptTimeoutMs)] : []),
      ...(opts.gateway.failover ? [] : ['--no-failover']),
    ];
    const gateway = await new GenericContainer(opts.images.router)
      .withNetworkMode(networkName)
      .withNetworkAliases('gateway')
      .withLabels({ ...labels, 'failover-drill.role': 'gateway' })
      .withCommand(gatewayArgs)
      .withExposedPorts(SERVICE_PORT)
      .withWaitStrategy(Wait.forHttp('/healthz', SERVICE_PORT).withReadTimeout(200))
      .withStartupTimeout(30_000)
      .start();
    const replica = (role: Role, container: StartedTestContainer, proxy: CreatedProxy): Replica => ({
      role,
      container,
      proxy,
      async directUrl() {
        const ports = (await docker.getContainer(container.getId()).inspect()).NetworkSettings.Ports[`${SERVICE_PORT}/tcp`];
        const hostPort = ports?.[0]?.HostPort;
        if (!hostPort) throw new InfrastructureError(`${role} has no published port ${SERVICE_PORT} (is the container running?)`);
        return `http://${container.getHost()}:${hostPort}`;
      },
    });
    return new Topology(opts.runId, networkName, toxiproxy, {
      primary: replica('primary', primary, primaryProxy),
      standby: replica('standby', standby, standbyProxy),
    }, gateway);
  } catch (cause) {
    await sweep({ onlyDead: false, runId: opts.runId }).catch(() => undefined);
    throw new InfrastructureError(`starting the topology for run ${opts.runId} failed: ${(cause as Error).message}`, { cause });
  }
}
