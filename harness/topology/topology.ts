// The reference deployment a drill runs against (DESIGN.md):
//   load -> gateway -> toxiproxy:primary -> primary ; gateway -> toxiproxy:standby -> standby
//   standby -> toxiproxy:sync -> primary (hot-backup sync, when the scenario turns it on)
// all on one labelled Docker network. Teardown removes everything carrying this run's label, so a step that
// throws halfway leaves nothing behind either.
import { ToxiProxyContainer, type CreatedProxy, type StartedToxiProxyContainer } from '@testcontainers/toxiproxy';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { randomBytes } from 'node:crypto';
import type { Precision, Role } from '../../services/common/contract';
import { InfrastructureError } from '../errors';
import type { BuiltModel } from '../../services/model/build';
import { MANIFEST_FILE, MODEL_FILE } from '../../services/model/manifest';
import type { ServiceImages } from './images';
import { runLabels } from './labels';
import { sweep } from './cleanup';

const SERVICE_PORT = 8080;
const TOXIPROXY_API_PORT = 8474;
/** The Toxiproxy module's first proxy port; it hands out listen ports upward from here, in creation order. */
const FIRST_PROXY_PORT = 8666;
const PROXIES = ['primary', 'standby', 'sync'] as const;

/**
 * The module's container publishes 32 proxy ports. Each published port is a docker-proxy process, and removing
 * the container took 4.3 s of the 4.6 s teardown on 2 cores (about 130 ms a port). A drill uses three proxies,
 * so only those three ports and the API are published.
 */
class DrillToxiProxyContainer extends ToxiProxyContainer {
  constructor(image: string) {
    super(image);
    this.exposedPorts = [];
    this.createOpts.ExposedPorts = {};
    this.hostConfig.PortBindings = {};
    this.withExposedPorts(TOXIPROXY_API_PORT, ...PROXIES.map((_, i) => FIRST_PROXY_PORT + i));
  }
}

export interface GatewayOptions {
  /** false switches request-level failover off: the negative control for the crash drill. */
  failover: boolean;
  attemptTimeoutMs?: number;
  /** false: the gateway passes any 2xx on unchecked (negative control for the wrong-model drill). */
  answerValidation?: boolean;
  /** Fixed set of model sha256 answers may claim; default: learned from each replica at start. */
  allowedSha256?: readonly string[];
  /** Any other router flags, passed as given. */
  args?: readonly string[];
}

export interface TopologyOptions {
  runId: string;
  images: ServiceImages;
  toxiproxyImage: string;
  gateway: GatewayOptions;
  /** The primary always serves fp32; the standby may run the int8 variant. */
  standbyPrecision: Precision;
  /** Interval of the standby's hot-backup sync from the primary (through the sync proxy); absent: no sync. */
  syncIntervalMs?: number;
  /** Extra flags for a replica's server. */
  replicaArgs?: Partial<Record<Role, string[]>>;
  /** A model both replicas serve instead of the image's reference model (copied in before they start). */
  model?: BuiltModel;
  /** Label the topology as kept: `drill clean` removes it, the sweep of dead runs does not. */
  keep?: boolean;
}

/** Where a fault can be aimed: a replica, or the standby's sync link to the primary. */
export type TargetName = Role | 'sync';

/** A network path a fault can break: the proxy in front of it. */
export interface Link {
  name: TargetName;
  proxy: CreatedProxy;
}

export interface Replica extends Link {
  name: Role;
  role: Role;
  container: StartedTestContainer;
  /** Where the model it serves lives in the container. */
  modelDir: string;
  precision: Precision;
  /** The Toxiproxy proxy the gateway reaches this replica through. */
  proxy: CreatedProxy;
  /**
   * Direct URL from the host, bypassing gateway and proxy (consistency checks, readiness). Read from Docker on
   * each call: a restarted container gets a new host port.
   */
  directUrl(): Promise<string>;
}

/** Run ids of topologies started and not yet removed, so a forced exit can remove them. */
export const activeTopologies = new Set<string>();

export class Topology implements AsyncDisposable {
  constructor(
    readonly runId: string,
    readonly networkName: string,
    readonly toxiproxy: StartedToxiProxyContainer,
    readonly replicas: Record<Role, Replica>,
    readonly syncLink: Link,
    private gatewayContainer: StartedTestContainer,
    /** Bearer token of the replicas' admin API (reload), random per run. */
    readonly adminToken: string,
    /** Labels of everything this topology started; a replaced gateway gets them too. */
    private readonly labels: Record<string, string>,
  ) {}

  get gateway(): StartedTestContainer {
    return this.gatewayContainer;
  }

  target(name: TargetName): Link | Replica {
    return name === 'sync' ? this.syncLink : this.replicas[name];
  }

  get gatewayUrl(): string {
    return `http://${this.gateway.getHost()}:${this.gateway.getMappedPort(SERVICE_PORT)}`;
  }

  /** How to reach each part from the host, for a kept topology. */
  async endpoints(): Promise<Record<string, string>> {
    return {
      gateway: this.gatewayUrl,
      primary: await this.replicas.primary.directUrl(),
      standby: await this.replicas.standby.directUrl(),
      'toxiproxy API': `http://${this.toxiproxy.getHost()}:${this.toxiproxy.getMappedPort(TOXIPROXY_API_PORT)}`,
      network: this.networkName,
    };
  }

  /**
   * A new gateway process with these options in place of the current one: a drill starts with no breaker,
   * hedging or hysteresis state left by the drill before it.
   */
  async replaceGateway(image: string, options: GatewayOptions): Promise<void> {
    await this.gatewayContainer.stop({ timeout: 0, remove: true });
    this.gatewayContainer = await startGateway(image, options, this.networkName, this.labels, this.replicas);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await sweep({ onlyDead: false, runId: this.runId });
    activeTopologies.delete(this.runId);
  }
}

/** Address of a proxy inside the topology's network. */
const inNetwork = (proxy: CreatedProxy): string => `http://toxiproxy:${proxy.instance.listen.split(':').pop()}`;

function startGateway(image: string, options: GatewayOptions, networkName: string, labels: Record<string, string>, replicas: Record<Role, { proxy: CreatedProxy }>): Promise<StartedTestContainer> {
  const args = [
    '--primary', inNetwork(replicas.primary.proxy),
    '--standby', inNetwork(replicas.standby.proxy),
    '--port', String(SERVICE_PORT),
    ...(options.attemptTimeoutMs ? ['--attempt-timeout-ms', String(options.attemptTimeoutMs)] : []),
    ...(options.failover ? [] : ['--no-failover']),
    ...(options.answerValidation === false ? ['--no-answer-validation'] : []),
    ...(options.allowedSha256 ? ['--allowed-sha256', options.allowedSha256.join(',')] : []),
    ...(options.args ?? []),
  ];
  return new GenericContainer(image)
    .withNetworkMode(networkName)
    .withNetworkAliases('gateway')
    .withLabels({ ...labels, 'failover-drill.role': 'gateway' })
    .withCommand(args)
    .withExposedPorts(SERVICE_PORT)
    .withWaitStrategy(Wait.forHttp('/healthz', SERVICE_PORT).withReadTimeout(200))
    .withStartupTimeout(30_000)
    .start();
}

function replicaContainer(image: string, replica: { role: Role; modelDir: string; syncFrom?: string; syncIntervalMs?: number; args?: readonly string[]; model?: BuiltModel }, networkName: string, labels: Record<string, string>, adminToken: string): GenericContainer {
  const sync = replica.syncFrom ? ['--sync-from', replica.syncFrom, '--sync-interval-ms', String(replica.syncIntervalMs)] : [];
  const container = new GenericContainer(image);
  if (replica.model) {
    container.withCopyContentToContainer([
      { content: Buffer.from(replica.model.onnx), target: `${replica.modelDir}/${MODEL_FILE}`, mode: 0o644 },
      { content: `${JSON.stringify(replica.model.manifest, null, 2)}\n`, target: `${replica.modelDir}/${MANIFEST_FILE}`, mode: 0o644 },
    ]);
  }
  return container
    .withNetworkMode(networkName)
    .withNetworkAliases(replica.role)
    .withLabels({ ...labels, 'failover-drill.role': replica.role })
    .withEnvironment({ DRILL_ADMIN_TOKEN: adminToken })
    .withCommand(['--model', replica.modelDir, '--port', String(SERVICE_PORT), '--role', replica.role, '--name', replica.role, ...sync, ...(replica.args ?? [])])
    .withExposedPorts(SERVICE_PORT)
    .withWaitStrategy(Wait.forHttp('/healthz', SERVICE_PORT).withReadTimeout(200))
    .withStartupTimeout(30_000);
}

export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  const labels = runLabels(opts.runId, opts.keep === true);
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const networkName = `failover-drill-${opts.runId}`;
  activeTopologies.add(opts.runId);
  try {
    await docker.createNetwork({ Name: networkName, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
    const adminToken = randomBytes(16).toString('hex');
    const modelDir = (precision: Precision): string => `/models/${precision}`;
    // Toxiproxy first: the standby's sync goes through it. Proxies are created in sequence because the
    // module picks the next free listen port from the current proxy list.
    const toxiproxy = await new DrillToxiProxyContainer(opts.toxiproxyImage).withNetworkMode(networkName).withNetworkAliases('toxiproxy').withLabels(labels).start();
    const primaryProxy = await toxiproxy.createProxy({ name: 'primary', upstream: `primary:${SERVICE_PORT}` });
    const standbyProxy = await toxiproxy.createProxy({ name: 'standby', upstream: `standby:${SERVICE_PORT}` });
    const syncProxy = await toxiproxy.createProxy({ name: 'sync', upstream: `primary:${SERVICE_PORT}` });
    const [primary, standby] = await Promise.all([
      replicaContainer(opts.images.inference, { role: 'primary', modelDir: modelDir('fp32'), args: opts.replicaArgs?.primary ?? [], ...(opts.model ? { model: opts.model } : {}) }, networkName, labels, adminToken).start(),
      replicaContainer(opts.images.inference, {
        role: 'standby',
        modelDir: modelDir(opts.standbyPrecision),
        args: opts.replicaArgs?.standby ?? [],
        ...(opts.model ? { model: opts.model } : {}),
        ...(opts.syncIntervalMs !== undefined ? { syncFrom: inNetwork(syncProxy), syncIntervalMs: opts.syncIntervalMs } : {}),
      }, networkName, labels, adminToken).start(),
    ]);
    const replica = (role: Role, container: StartedTestContainer, proxy: CreatedProxy, precision: Precision): Replica => ({
      name: role,
      role,
      container,
      proxy,
      precision,
      modelDir: modelDir(precision),
      async directUrl() {
        const ports = (await docker.getContainer(container.getId()).inspect()).NetworkSettings.Ports[`${SERVICE_PORT}/tcp`];
        const hostPort = ports?.[0]?.HostPort;
        if (!hostPort) throw new InfrastructureError(`${role} has no published port ${SERVICE_PORT} (is the container running?)`);
        return `http://${container.getHost()}:${hostPort}`;
      },
    });
    const replicas = {
      primary: replica('primary', primary, primaryProxy, 'fp32'),
      standby: replica('standby', standby, standbyProxy, opts.standbyPrecision),
    };
    const gateway = await startGateway(opts.images.router, opts.gateway, networkName, labels, replicas);
    return new Topology(opts.runId, networkName, toxiproxy, replicas, { name: 'sync', proxy: syncProxy }, gateway, adminToken, labels);
  } catch (cause) {
    await sweep({ onlyDead: false, runId: opts.runId }).catch(() => undefined);
    activeTopologies.delete(opts.runId);
    throw new InfrastructureError(`starting the topology for run ${opts.runId} failed: ${(cause as Error).message}`, { cause });
  }
}
