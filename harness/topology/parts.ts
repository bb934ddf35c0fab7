// The two kinds of part a topology is built from: a gateway in front, and the replicas (model servers) behind
// it. Each kind is a Container / StartedContainer pair in the Testcontainers style; each implementation is one
// file under gateways/ or replicas/ and one row in that folder's table. The topology, the runner and the faults
// use only what these interfaces declare, so they never special-case an implementation.
import type { CreatedProxy } from '@testcontainers/toxiproxy';
import type { GenericContainer, StartedTestContainer } from 'testcontainers';
import type { Precision, Role } from '../../services/common/contract';
import type { ModelLoad } from '../../services/inference/model-manager';
import type { Manifest } from '../../services/model/manifest';
import type { Effect } from './effect';

/** Where a fault can be aimed: a replica, or the standby's sync link to the primary. */
export type TargetName = Role | 'sync';

/** A network path a fault can break: the proxy in front of it. */
export interface Link {
  readonly name: TargetName;
  readonly proxy: CreatedProxy;
}

/** How the gateway behaves; a gateway kind maps these onto its own configuration. */
export interface GatewayOptions {
  /** false switches request-level failover off: the negative control for the crash drill. */
  failover: boolean;
  attemptTimeoutMs?: number;
  /** false: the gateway passes any 2xx on unchecked (negative control for the wrong-model drill). */
  answerValidation?: boolean;
  /** Fixed set of model sha256 answers may claim; default: learned from each replica at start. */
  allowedSha256?: readonly string[];
  /** Any other flags of the gateway, passed as given. */
  args?: readonly string[];
}

/**
 * How to tell which replica answered: a response header the gateway sets, and the value that names each replica.
 * Gateways that tried several upstreams list them comma-separated (nginx's $upstream_addr), so the last entry is
 * the one that answered; it names a replica when it equals that replica's value or ends with it (":8666").
 */
export interface ServedBy {
  header: string;
  primary: string;
  standby: string;
}

/** Where the gateway finds the replicas, and what it may ask them. */
export interface GatewayRouting {
  /**
   * The replicas' addresses inside the topology's network, through their Toxiproxy proxies
   * (e.g. http://toxiproxy:8666), so network faults sit on the gateway's path.
   */
  upstreams: Record<Role, string>;
  /** The replicas' readiness path, for gateways that health-check actively. */
  readinessPath: string;
}

/** How a gateway kind's own image is built, when it is not one of the services' images. */
export interface GatewayImage {
  /** Names the image: failover-drill/gateway-<name>:<hash of the inputs>. */
  name: string;
  /** The Dockerfile, given the Debian base image every service image is built on. */
  dockerfile(baseImage: string): string;
  /** A Go module whose static binary (CGO off) is built first and put beside the Dockerfile. */
  goModule?: string;
}

export interface GatewayKind {
  readonly description: string;
  /** Its own image, built on first use; without it the kind runs the router image (services/router). */
  readonly image?: GatewayImage;
  /** The gateway container, not started. */
  container(image: string, routing: GatewayRouting, options: GatewayOptions): GatewayContainer;
}

export interface GatewayContainer extends GenericContainer {
  start(): Promise<StartedGatewayContainer>;
}

export interface StartedGatewayContainer extends StartedTestContainer {
  /** Where the load reaches the gateway from the host. */
  readonly url: string;
  readonly containerId: string;
  /** How its answers name the replica; undefined when it names none (failover and fail-back cannot be measured). */
  readonly servedBy: ServedBy | undefined;
  /** The path it answers 200 on once up (what the harness waits on); a load driver may warm its connections there. */
  readonly healthPath: string;
}

/**
 * What a model server can do besides serving, which some drills need: a reload through an admin API (a deploy
 * without a restart), and hot-backup sync from the primary.
 */
export type ReplicaCapability = 'admin-reload' | 'hot-backup-sync';

/** How a replica kind's own image is built, when it is not the reference server's image. */
export interface ReplicaImage {
  /** Names the image: failover-drill/replica-<name>:<hash of the inputs>. */
  name: string;
  /** The build context: a directory of the package (its Dockerfile takes the Debian base as BASE_IMAGE). */
  context: string;
  /** A pip requirements file in the context: its wheels are downloaded on the host into wheels/ beside it. */
  pipRequirements?: string;
}

export interface ReplicaKind {
  readonly description: string;
  readonly capabilities: readonly ReplicaCapability[];
  /** The port the server listens on inside the network: the proxies forward to it. */
  readonly port: number;
  /** The path that answers 200 once the server serves its model, for gateways that health-check. */
  readonly readinessPath: string;
  /** Its own image, built on first use; without it the kind runs the reference server's image. */
  readonly image?: ReplicaImage;
  /** The image has no model of its own: the topology copies each replica's model in before it starts. */
  readonly modelFromHarness?: boolean;
  /** It speaks only the Open Inference Protocol v2 (no /v1/rank): drills against it use topology.protocol oip-v2. */
  readonly oipV2Only?: boolean;
  container(image: string, plan: ReplicaPlan): ReplicaContainer;
}

export interface ReplicaPlan {
  role: Role;
  precision: Precision;
  /** The proxy the gateway reaches this replica through. */
  proxy: CreatedProxy;
  /** A model to serve instead of the one in the image, written in before the server starts. */
  model?: ModelFiles;
  /** Hot backup: keep the verified model of the server at `from` (an in-network URL), polled every intervalMs. */
  sync?: { from: string; intervalMs: number };
  /** Extra flags for the server, passed as given. */
  args?: readonly string[];
}

/** A model's files; without a manifest only the weights change (a damaged file under the old manifest). */
export interface ModelFiles {
  onnx: Uint8Array;
  manifest?: Manifest;
  /**
   * The model's int8 variant, built offline beside it, for a server that publishes one (the reference server,
   * from its model directory's int8/): an int8 standby syncs it instead of quantizing the model itself.
   */
  int8?: { onnx: Uint8Array; manifest: Manifest };
}

export interface ReplicaContainer extends GenericContainer {
  start(): Promise<StartedReplicaContainer>;
}

/** One answer of the replica's readiness endpoint. */
export interface Readiness {
  status: number;
  ready: boolean;
  body: string;
  /** The sha256 of the model it serves, when ready. */
  sha256?: string;
  /** Why it is not ready, as it says. */
  reason?: string;
}

export interface StartedReplicaContainer extends StartedTestContainer, Link {
  readonly name: Role;
  readonly role: Role;
  readonly precision: Precision;
  readonly containerId: string;
  /**
   * Direct URL from the host, bypassing gateway and proxy (consistency checks, readiness). Read from Docker on
   * each call: a restarted container gets a new host port.
   */
  directUrl(): Promise<string>;
  /** Asks the server whether it is ready and which model it serves; throws an InfrastructureError when unreachable. */
  readiness(timeoutMs?: number): Promise<Readiness>;
  /** Its readiness names the model it serves (Readiness.sha256); an OIP v2 server's says only ready or not. */
  readonly readinessNamesModel: boolean;
  /** The last `lines` lines of the server's output. */
  logTail(lines: number): Promise<string[]>;
  /** Each model load the server made (startup, reload, sync) with the time of each step, for servers that say. */
  modelLoads?(): Promise<ModelLoad[]>;

  /**
   * Uploads model files to a staging place in the container under `key`, ahead of the load: the upload costs
   * CPU that would show up as latency inside the measured window.
   */
  stageModel(key: string, files: ModelFiles): Promise<void>;
  /**
   * Moves the files staged under `key` to where the server reads its model: one quick step, timed by a fault. The
   * same step reads the sha256 of the model file it left, for installedModelProblem.
   */
  installStagedModel(key: string): Promise<void>;
  /** Stages and installs at once, for when no load is running. */
  replaceModel(files: ModelFiles): Promise<void>;
  /**
   * Why the model file the last install left on the replica's disk is not `expected` (by sha256, as that install
   * read it); undefined when it is.
   */
  installedModelProblem(expected: Uint8Array): string | undefined;
  /** Why the model file on the replica's disk now is not `expected` (by sha256); undefined when it is. */
  modelFileProblem(expected: Uint8Array): Promise<string | undefined>;
  /**
   * Asks the server to load its model files again, as a deploy pipeline would. A refused reload (the files fail
   * verification) is an outcome, returned; only an unexpected answer throws.
   */
  reload(): Promise<{ status: number; body: string }>;

  // The operations that break the server say when they took effect, as the harness observed it: for those that
  // end its process, the first refused TCP connect to its port (probed every 1 ms), with Docker's exit time beside.
  /** SIGKILL: no graceful shutdown, connections die mid-request. Throws unless the process is gone after it. */
  kill(): Promise<Effect>;
  /** Freezes every process (cgroup freezer). Throws unless the container is paused after it. */
  pause(): Promise<Effect>;
  /** Thaws a paused container; nothing when it is not paused. */
  unpause(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. Throws unless the process is gone after it. */
  stopGracefully(graceMs: number): Promise<Effect>;
  /** SIGTERM (SIGKILL after `graceMs`), then start again. Throws unless a new process runs after it. */
  restartGracefully(graceMs: number): Promise<Effect>;
  /** When the server's port accepts a TCP connection (probed every 1 ms), or undefined if not within `timeoutMs`. */
  awaitAccepting(timeoutMs: number): Promise<Effect | undefined>;
  /** Starts the container when it is not running (revert of kill, stop and restart). */
  startIfStopped(): Promise<void>;
}
