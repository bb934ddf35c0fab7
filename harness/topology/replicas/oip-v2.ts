// Any model server that speaks the Open Inference Protocol v2 (KServe, Triton, MLServer, Seldon): an image, its
// command, its port, the model name it serves, where its model file goes and which route says it is ready. The
// harness writes the replica's model file there before the server starts and reaches the server only through the
// protocol, so it has none of the reference server's extras: no admin reload, no hot-backup sync, no readiness
// reasons. Faults still work: the process operations are Docker's, and damaged weights are written to the file.
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { request } from 'undici';
import { InfrastructureError } from '../../errors';
import type { ModelFiles, Readiness, ReplicaCapability, ReplicaImage, ReplicaKind, ReplicaPlan } from '../parts';
import { StartedReplicaBase } from './started-replica';

/**
 * An OIP v2 server as a topology runs it. In `command`, {{model}} is the served model's name and {{role}} the
 * replica's role (primary, standby); in `readiness`, {{model}} too.
 */
export interface OipV2ReplicaSpec {
  /** The image; a preset builds its own and leaves this out. */
  image?: string;
  /** The container's command (arguments after the image's entrypoint); default: the image's. */
  command?: readonly string[];
  /** The port its HTTP (v2 REST) endpoint listens on. */
  port: number;
  /** The model name in v2 paths; default: the name in the model's manifest. */
  modelName?: string;
  /** Absolute path in the container where the model file (ONNX) is written before the server starts. */
  modelPath: string;
  /** Where the model's manifest.json goes too, for a server that reads it (the KServe preset names its model from it). */
  manifestPath?: string;
  /** A GET route that answers 200 once the model is served; {{model}} is filled in. */
  readiness: string;
}

const READINESS_TIMEOUT_MS = 1000;
/** A Python server imports its framework before it listens: seconds, not the reference server's half second. */
const STARTUP_TIMEOUT_MS = 120_000;
const MODEL_PLACEHOLDER = /\{\{model\}\}/;
/** The protocol's readiness of the server as a whole. */
const SERVER_READINESS = '/v2/health/ready';

const fill = (text: string, model: string, role = ''): string => text.replaceAll('{{model}}', model).replaceAll('{{role}}', role);

/** Where staged files wait inside the container until they are installed: beside the model, so the move is a rename. */
const stagingPath = (target: string, key: string): string => `${target}.staged-${key}`;

function modelName(spec: OipV2ReplicaSpec, plan: ReplicaPlan): string {
  const name = spec.modelName ?? plan.model?.manifest?.name;
  if (!name) throw new InfrastructureError(`the ${plan.role} OIP v2 replica needs a model name: give modelName, or a model with a manifest`);
  return name;
}

/** The files to write for `files`: the model, and its manifest when the kind has a place for it and it changed. */
function placed(spec: OipV2ReplicaSpec, files: ModelFiles, at: (target: string) => string): { content: string | Buffer; target: string; mode: number }[] {
  return [
    { content: Buffer.from(files.onnx), target: at(spec.modelPath), mode: 0o644 },
    ...(files.manifest && spec.manifestPath ? [{ content: `${JSON.stringify(files.manifest, null, 2)}\n`, target: at(spec.manifestPath), mode: 0o644 }] : []),
  ];
}

export class OipV2ReplicaContainer extends GenericContainer {
  private readonly model: string;

  constructor(image: string, private readonly plan: ReplicaPlan, private readonly spec: OipV2ReplicaSpec) {
    super(image);
    if (!plan.model) throw new InfrastructureError(`the ${plan.role} OIP v2 replica needs its model files: its image has none`);
    if (plan.sync) throw new InfrastructureError(`the ${plan.role} OIP v2 replica has no hot-backup sync`);
    this.model = modelName(spec, plan);
    if (spec.command) this.withCommand([...spec.command.map((c) => fill(c, this.model, plan.role)), ...(plan.args ?? [])]);
    this.withExposedPorts(spec.port)
      .withCopyContentToContainer(placed(spec, plan.model, (target) => target))
      .withWaitStrategy(Wait.forHttp(fill(spec.readiness, this.model), spec.port).withReadTimeout(200))
      .withStartupTimeout(STARTUP_TIMEOUT_MS);
  }

  override async start(): Promise<StartedOipV2ReplicaContainer> {
    return new StartedOipV2ReplicaContainer(await super.start(), this.plan, this.spec, this.model);
  }
}

export class StartedOipV2ReplicaContainer extends StartedReplicaBase {
  readonly readinessNamesModel = false;
  private readonly readinessPath: string;
  protected readonly modelPath: string;

  constructor(started: StartedTestContainer, plan: ReplicaPlan, private readonly spec: OipV2ReplicaSpec, readonly modelName: string) {
    super(started, plan.role, plan.precision, plan.proxy, spec.port);
    this.readinessPath = fill(spec.readiness, modelName);
    this.modelPath = spec.modelPath;
  }

  /** 200 from the readiness route is ready; the server names no model sha256 and gives no reason beyond its body. */
  async readiness(timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
    try {
      const res = await request(`${await this.directUrl()}${this.readinessPath}`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      const body = await res.body.text();
      return res.statusCode === 200 ? { status: 200, ready: true, body } : { status: res.statusCode, ready: false, body, reason: body.slice(0, 200) };
    } catch (cause) {
      throw new InfrastructureError(`GET ${this.readinessPath} on ${this.role} failed: ${(cause as Error).message}`, { cause });
    }
  }

  protected async upload(key: string, files: ModelFiles): Promise<void> {
    await this.copyContentToContainer(placed(this.spec, files, (target) => stagingPath(target, key)));
  }

  async installStagedModel(key: string): Promise<void> {
    const moves = [this.spec.manifestPath, this.spec.modelPath]
      .filter((p): p is string => p !== undefined)
      .map((target) => `[ ! -f ${stagingPath(target, key)} ] || mv -f ${stagingPath(target, key)} ${target}`);
    await this.installAndHash(moves.join('; '));
  }

  reload(): Promise<{ status: number; body: string }> {
    // Validation refuses every drill that reloads an OIP v2 replica; reaching this is a harness defect.
    return Promise.reject(new InfrastructureError(`${this.role} is an OIP v2 server with no admin reload`));
  }
}

/** A replica kind for an OIP v2 server described by `spec`; a preset adds its own image recipe. */
export function oipV2Replica(description: string, spec: OipV2ReplicaSpec, image?: ReplicaImage): ReplicaKind {
  const capabilities: readonly ReplicaCapability[] = [];
  return {
    description,
    capabilities,
    port: spec.port,
    // A gateway is configured before the model's name is known: a route that needs it falls back to the protocol's
    // server readiness.
    readinessPath: MODEL_PLACEHOLDER.test(spec.readiness) ? SERVER_READINESS : spec.readiness,
    modelFromHarness: true,
    oipV2Only: true,
    ...(image ? { image } : {}),
    container: (imageTag, plan) => new OipV2ReplicaContainer(spec.image ?? imageTag, plan, spec),
  };
}
