// The deployment a drill runs against:
//   load -> gateway -> toxiproxy:primary -> primary ; gateway -> toxiproxy:standby -> standby
//   standby -> toxiproxy:sync -> primary (hot-backup sync, when the scenario turns it on)
// all on one labelled Docker network. The gateway and the replicas are parts (parts.ts), chosen by kind from
// the tables in gateways/ and replicas/; Toxiproxy is always Toxiproxy. Teardown removes everything carrying this run's label, so a step that
// throws halfway leaves nothing behind either.
import { ToxiProxyContainer, type CreatedProxy, type StartedToxiProxyContainer } from '@testcontainers/toxiproxy';
import { getContainerRuntimeClient, type GenericContainer } from 'testcontainers';
import type { Precision, Role } from '../../services/common/contract';
import { InfrastructureError, InvalidInputError } from '../errors';
import type { BuiltModel } from '../../services/model/build';
import { sweep } from './cleanup';
import { GATEWAY_KINDS, type GatewayKindName } from './gateways';
import { configuredGateway, type ConfiguredGatewaySpec } from './gateways/configured';
import type { ServiceImages } from './images';
import { runLabels } from './labels';
import type { GatewayKind, GatewayOptions, Link, ReplicaKind, ReplicaPlan, StartedGatewayContainer, StartedReplicaContainer, TargetName } from './parts';
import { REPLICA_KINDS, type ReplicaKindName } from './replicas';
import { oipV2Replica, type OipV2ReplicaSpec } from './replicas/oip-v2';

export type { GatewayOptions, Link, TargetName } from './parts';

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

export interface TopologyOptions {
  runId: string;
  images: ServiceImages;
  toxiproxyImage: string;
  gateway: GatewayOptions;
  /**
   * Which gateway part runs `images.router`: a kind from the table (default: the reference gateway), or a
   * gateway configured by the scenario's own template (the long form of topology.gateway).
   */
  gatewayKind?: GatewayKindName | ConfiguredGatewaySpec;
  /**
   * Which model server part runs `images.inference`: a kind from the table (default: the reference model server),
   * or any OIP v2 server (the long form of topology.replicas).
   */
  replicaKind?: ReplicaKindName | OipV2ReplicaSpec;
  /** Each precision's model, copied into replicas whose image has none (OIP v2 servers). */
  models?: Record<Precision, BuiltModel>;
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

/** Run ids of topologies started and not yet removed, so a forced exit can remove them. */
export const activeTopologies = new Set<string>();

export class Topology implements AsyncDisposable {
  constructor(
    readonly runId: string,
    readonly networkName: string,
    readonly toxiproxy: StartedToxiProxyContainer,
    readonly replicas: Record<Role, StartedReplicaContainer>,
    readonly syncLink: Link,
    private currentGateway: StartedGatewayContainer,
    private readonly gatewayKind: GatewayKind,
    /** Labels of everything this topology started; a replaced gateway gets them too. */
    private readonly labels: Record<string, string>,
    /** The replicas' readiness path, for gateways that health-check. */
    private readonly readinessPath: string,
  ) {}

  get gateway(): StartedGatewayContainer {
    return this.currentGateway;
  }

  target(name: TargetName): Link | StartedReplicaContainer {
    return name === 'sync' ? this.syncLink : this.replicas[name];
  }

  get gatewayUrl(): string {
    return this.gateway.url;
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
    await this.currentGateway.stop({ timeout: 0, remove: true });
    this.currentGateway = await startGateway(this.gatewayKind, image, options, this.networkName, this.labels, this.replicas, this.readinessPath);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await sweep({ onlyDead: false, runId: this.runId });
    activeTopologies.delete(this.runId);
  }
}

/** Address of a proxy inside the topology's network. */
const inNetwork = (proxy: CreatedProxy): string => `http://toxiproxy:${proxy.instance.listen.split(':').pop()}`;

/** Puts a part on the topology's network under `alias`, labelled as this run's. */
const placed = <C extends GenericContainer>(container: C, alias: string, networkName: string, labels: Record<string, string>): C =>
  container.withNetworkMode(networkName).withNetworkAliases(alias).withLabels({ ...labels, 'failover-drill.role': alias });

function startGateway(kind: GatewayKind, image: string, options: GatewayOptions, networkName: string, labels: Record<string, string>, replicas: Record<Role, Link>, readinessPath: string): Promise<StartedGatewayContainer> {
  const upstreams = { primary: inNetwork(replicas.primary.proxy), standby: inNetwork(replicas.standby.proxy) };
  return placed(kind.container(image, { upstreams, readinessPath }, options), 'gateway', networkName, labels).start();
}

const gatewayKindFor = (kind: TopologyOptions['gatewayKind']): GatewayKind =>
  typeof kind === 'object' ? configuredGateway(`your gateway (${kind.config})`, kind) : GATEWAY_KINDS[kind ?? 'reference'];

/** The replica kind to run, refused when the topology asks for something it cannot do. */
function replicaKindFor(opts: TopologyOptions): ReplicaKind {
  const chosen = opts.replicaKind ?? 'reference';
  const name = typeof chosen === 'string' ? chosen : `your OIP v2 server (${chosen.image ?? 'no image'})`;
  const kind: ReplicaKind = typeof chosen === 'string' ? REPLICA_KINDS[chosen] : oipV2Replica(name, chosen);
  if (opts.syncIntervalMs !== undefined && !kind.capabilities.includes('hot-backup-sync')) {
    throw new InvalidInputError(`topology: the replica kind "${name}" has no hot-backup sync, so syncIntervalMs cannot be set`);
  }
  return kind;
}

export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  const gatewayKind = gatewayKindFor(opts.gatewayKind);
  const replicaKind = replicaKindFor(opts);
  const labels = runLabels(opts.runId, opts.keep === true);
  const docker = (await getContainerRuntimeClient()).container.dockerode;
  const networkName = `failover-drill-${opts.runId}`;
  activeTopologies.add(opts.runId);
  try {
    await docker.createNetwork({ Name: networkName, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
    // Toxiproxy first: the standby's sync goes through it. Proxies are created in sequence because the
    // module picks the next free listen port from the current proxy list.
    const toxiproxy = await new DrillToxiProxyContainer(opts.toxiproxyImage).withNetworkMode(networkName).withNetworkAliases('toxiproxy').withLabels(labels).start();
    const primaryProxy = await toxiproxy.createProxy({ name: 'primary', upstream: `primary:${replicaKind.port}` });
    const standbyProxy = await toxiproxy.createProxy({ name: 'standby', upstream: `standby:${replicaKind.port}` });
    const syncProxy = await toxiproxy.createProxy({ name: 'sync', upstream: `primary:${replicaKind.port}` });
    const model = (precision: Precision): Pick<ReplicaPlan, 'model'> => {
      const files = opts.model ?? (replicaKind.modelFromHarness ? opts.models?.[precision] : undefined);
      return files ? { model: files } : {};
    };
    const startReplica = (plan: ReplicaPlan): Promise<StartedReplicaContainer> =>
      placed(replicaKind.container(opts.images.inference, plan), plan.role, networkName, labels).start();
    const [primary, standby] = await Promise.all([
      startReplica({ role: 'primary', precision: 'fp32', proxy: primaryProxy, args: opts.replicaArgs?.primary ?? [], ...model('fp32') }),
      startReplica({
        role: 'standby',
        precision: opts.standbyPrecision,
        proxy: standbyProxy,
        args: opts.replicaArgs?.standby ?? [],
        ...model(opts.standbyPrecision),
        ...(opts.syncIntervalMs !== undefined ? { sync: { from: inNetwork(syncProxy), intervalMs: opts.syncIntervalMs } } : {}),
      }),
    ]);
    const replicas = { primary, standby };
    const gateway = await startGateway(gatewayKind, opts.images.router, opts.gateway, networkName, labels, replicas, replicaKind.readinessPath);
    return new Topology(opts.runId, networkName, toxiproxy, replicas, { name: 'sync', proxy: syncProxy }, gateway, gatewayKind, labels, replicaKind.readinessPath);
  } catch (cause) {
    await sweep({ onlyDead: false, runId: opts.runId }).catch(() => undefined);
    activeTopologies.delete(opts.runId);
    throw new InfrastructureError(`starting the topology for run ${opts.runId} failed: ${(cause as Error).message}`, { cause });
  }
}
