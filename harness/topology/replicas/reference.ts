// The reference model server: services/inference in its image, with the fp32 and int8 models baked in at
// /models/<precision>. Readiness, model files, admin reload and hot-backup sync as that service defines them.
import { randomBytes } from 'node:crypto';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { request } from 'undici';
import type { Precision } from '../../../services/common/contract';
import { ADMIN_TOKEN_ENV } from '../../../services/inference/admin';
import type { ModelLoad } from '../../../services/inference/model-manager';
import { INT8_VARIANT_DIR, MANIFEST_FILE, MODEL_FILE } from '../../../services/model/manifest';
import { InfrastructureError } from '../../errors';
import type { ModelFiles, Readiness, ReplicaKind, ReplicaPlan } from '../parts';
import { modelLoadBudgetMs } from '../model-budget';
import { StartedReplicaBase } from './started-replica';

const PORT = 8080;
const READINESS_TIMEOUT_MS = 1000;
/** Start to listening (the model verified) for the image's own model; a larger model given to it adds its load time. */
const STARTUP_TIMEOUT_MS = 30_000;
/** A reload verifies the whole model file before it answers. */
const RELOAD_TIMEOUT_MS = 10_000;

const modelDir = (precision: Precision): string => `/models/${precision}`;
/** Where staged files wait inside the container until they are installed. */
const stagingDir = (key: string): string => `/tmp/failover-drill-staged/${key}`;

/** The files of a model directory as Testcontainers copies them into a container, its int8 variant in int8/. */
function modelDirContents(dir: string, files: ModelFiles): Parameters<GenericContainer['withCopyContentToContainer']>[0] {
  return [
    { content: Buffer.from(files.onnx), target: `${dir}/${MODEL_FILE}`, mode: 0o644 },
    ...(files.manifest ? [{ content: `${JSON.stringify(files.manifest, null, 2)}\n`, target: `${dir}/${MANIFEST_FILE}`, mode: 0o644 }] : []),
    ...(files.int8 ? modelDirContents(`${dir}/${INT8_VARIANT_DIR}`, files.int8) : []),
  ];
}

/** A GET /readyz answer: 200 with the served model, or 503 with `{error:{code, message}}` saying why not. */
export function parseReadiness(status: number, body: string): Readiness {
  let json: { model?: { sha256?: unknown }; error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    json = JSON.parse(body) as typeof json;
  } catch {
    json = undefined;
  }
  if (status === 200) {
    const sha256 = json?.model?.sha256;
    return { status, ready: true, body, ...(typeof sha256 === 'string' ? { sha256 } : {}) };
  }
  const error = json?.error;
  const reason = typeof error?.code === 'string' ? `${error.code}: ${String(error.message ?? '')}` : body.slice(0, 200);
  return { status, ready: false, body, reason };
}

/** The `loads` of a GET /v1/model answer (absent from servers older than it: none). */
export function parseModelLoads(body: string): ModelLoad[] {
  const loads = (JSON.parse(body) as { loads?: unknown }).loads;
  return Array.isArray(loads) ? (loads as ModelLoad[]) : [];
}

export class ReferenceReplicaContainer extends GenericContainer {
  /** Bearer token of the server's admin API (reload), random per container. */
  private readonly adminToken = randomBytes(16).toString('hex');

  constructor(image: string, private readonly plan: ReplicaPlan) {
    super(image);
    const sync = plan.sync ? ['--sync-from', plan.sync.from, '--sync-interval-ms', String(plan.sync.intervalMs)] : [];
    this.withEnvironment({ [ADMIN_TOKEN_ENV]: this.adminToken })
      .withCommand(['--model', modelDir(plan.precision), '--port', String(PORT), '--role', plan.role, '--name', plan.role, ...sync, ...(plan.args ?? [])])
      .withExposedPorts(PORT)
      .withWaitStrategy(Wait.forHttp('/healthz', PORT).withReadTimeout(200))
      .withStartupTimeout(modelLoadBudgetMs(STARTUP_TIMEOUT_MS, plan.model?.onnx.byteLength ?? 0));
    if (plan.model) this.withCopyContentToContainer(modelDirContents(modelDir(plan.precision), plan.model));
  }

  override async start(): Promise<StartedReferenceReplicaContainer> {
    return new StartedReferenceReplicaContainer(await super.start(), this.plan, this.adminToken);
  }
}

export class StartedReferenceReplicaContainer extends StartedReplicaBase {
  readonly readinessNamesModel = true;
  private readonly modelDir: string;
  protected readonly modelPath: string;
  private readonly reloadTimeoutMs: number;

  constructor(started: StartedTestContainer, plan: ReplicaPlan, private readonly adminToken: string) {
    super(started, plan.role, plan.precision, plan.proxy, PORT);
    this.modelDir = modelDir(plan.precision);
    this.modelPath = `${this.modelDir}/${MODEL_FILE}`;
    this.reloadTimeoutMs = modelLoadBudgetMs(RELOAD_TIMEOUT_MS, plan.model?.onnx.byteLength ?? 0);
  }

  /** GET /v1/model's `loads`: each model load the server made, with the time of each step. */
  async modelLoads(): Promise<ModelLoad[]> {
    const res = await request(`${await this.directUrl()}/v1/model`, { headersTimeout: READINESS_TIMEOUT_MS, bodyTimeout: READINESS_TIMEOUT_MS });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new InfrastructureError(`GET /v1/model on ${this.role} answered ${res.statusCode}: ${body.slice(0, 200)}`);
    return parseModelLoads(body);
  }

  async readiness(timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
    try {
      const res = await request(`${await this.directUrl()}/readyz`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      return parseReadiness(res.statusCode, await res.body.text());
    } catch (cause) {
      throw new InfrastructureError(`GET /readyz on ${this.role} failed: ${(cause as Error).message}`, { cause });
    }
  }

  protected async upload(key: string, files: ModelFiles): Promise<void> {
    await this.copyContentToContainer(modelDirContents(stagingDir(key), files));
  }

  async installStagedModel(key: string): Promise<void> {
    const dir = stagingDir(key);
    // The manifest goes first: a reload that reads both sees the new manifest with either model file. As root:
    // the upload made the files root's.
    // A new model replaces the int8 variant published beside the old one, with its own or with none; damaged
    // weights alone (no manifest) leave it: the server publishes a variant only beside a model that verifies.
    const variant = `${this.modelDir}/${INT8_VARIANT_DIR}`;
    const script =
      `if [ -d ${dir}/${INT8_VARIANT_DIR} ]; then rm -rf ${variant}; mv ${dir}/${INT8_VARIANT_DIR} ${variant}; elif [ -f ${dir}/${MANIFEST_FILE} ]; then rm -rf ${variant}; fi; ` +
      `[ ! -f ${dir}/${MANIFEST_FILE} ] || mv -f ${dir}/${MANIFEST_FILE} ${this.modelDir}/${MANIFEST_FILE}; mv -f ${dir}/${MODEL_FILE} ${this.modelDir}/${MODEL_FILE}`;
    await this.installAndHash(script);
  }

  /** POST /admin/reload; 422 is a refused reload (the files fail verification), an outcome like 200. */
  async reload(): Promise<{ status: number; body: string }> {
    const res = await request(`${await this.directUrl()}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.adminToken}` },
      headersTimeout: this.reloadTimeoutMs,
    });
    const body = await res.body.text();
    if (res.statusCode !== 200 && res.statusCode !== 422) {
      throw new InfrastructureError(`POST /admin/reload on ${this.role} answered ${res.statusCode}: ${body.slice(0, 200)}`);
    }
    return { status: res.statusCode, body };
  }
}

export const referenceReplica = {
  description: 'services/inference: onnxruntime-node over HTTP, readiness with reasons, admin reload, hot-backup sync',
  capabilities: ['admin-reload', 'hot-backup-sync'],
  port: PORT,
  readinessPath: '/readyz',
  container: (image: string, plan: ReplicaPlan) => new ReferenceReplicaContainer(image, plan),
} satisfies ReplicaKind;
