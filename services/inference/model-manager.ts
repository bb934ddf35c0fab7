// The replica's model over time: loaded at startup, replaced by a reload (SIGHUP, POST /admin/reload) or a
// hot-backup sync. Changes run one at a time; a new model is served only after it is verified, and bad new
// weights never replace good ones: keep-last-good keeps serving them, fail-closed stops serving.
import { performance } from 'node:perf_hooks';
import type { Log } from '../common/cli';
import type { ModelIdentity, Precision } from '../common/contract';
import type { Manifest } from '../model/manifest';
import { type LoadSteps, timed } from './load-steps';
import type { InferenceMetrics, ModelChangeSource } from './metrics';
import { ModelSlot } from './model-slot';
import { releaseGarbage } from './model-weights';
import {
  loadVerifiedModel,
  type NotReadyCode,
  type NotReadyReason,
  persistModel,
  type Verification,
  type VerifiedModel,
  verifyModel,
  verifyQuantized,
} from './model-state';

export const BAD_RELOAD_POLICIES = ['keep-last-good', 'fail-closed'] as const;
export type BadReloadPolicy = (typeof BAD_RELOAD_POLICIES)[number];

export type Readiness = { ready: true } | { ready: false; reason: NotReadyReason };

/** A model that was refused, as /v1/model shows it. */
export interface Rejection {
  at: string;
  source: ModelChangeSource;
  version?: string;
  sha256?: string;
  reason: NotReadyReason;
}

/** One attempt to load a model and how long each of its steps took, as /v1/model shows it (`loads`). */
export interface ModelLoad {
  /** When the load finished. */
  at: string;
  source: ModelChangeSource;
  /** 'loaded', or the reason code it was refused with. */
  outcome: 'loaded' | NotReadyCode;
  version?: string;
  sha256?: string;
  /** Size of the model file the load was given (for an int8 replica syncing fp32: the fp32 file). */
  bytes?: number;
  totalMs: number;
  steps: LoadSteps;
}

/** Loads /v1/model keeps: enough for a drill's restarts, reloads and syncs. */
const LOADS_KEPT = 16;

export type ModelChange = { outcome: 'loaded'; model: ModelIdentity } | { outcome: 'rejected'; rejection: Rejection; serving?: ModelIdentity };

export interface ModelManagerOptions {
  dir: string;
  /** false: no checksum or probe checks (negative control only). */
  verify?: boolean;
  policy: BadReloadPolicy;
  log: Log;
  metrics: InferenceMetrics;
}

export class ModelManager {
  readonly slot = new ModelSlot();
  /** Why nothing is served; set exactly when the slot is empty. */
  private notReady: { reason: NotReadyReason; manifest?: Manifest } | undefined;
  private lastRejected: Rejection | undefined;
  private readonly loads: ModelLoad[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: ModelManagerOptions) {}

  static async start(opts: ModelManagerOptions): Promise<ModelManager> {
    const manager = new ModelManager(opts);
    const steps: LoadSteps = {};
    const started = performance.now();
    const verification = await loadVerifiedModel(opts.dir, opts.verify ?? true, steps);
    if (verification.ok) manager.serve('startup', verification, steps);
    manager.recordLoad('startup', verification, steps, started);
    releaseGarbage();
    if (!verification.ok) {
      manager.notReady = { reason: verification.reason, ...(verification.manifest ? { manifest: verification.manifest } : {}) };
      opts.log(`model not verified (${verification.reason.code}); /readyz and /v1/rank answer 503 until a verified model is loaded`, {
        level: 'error',
        reason: verification.reason.code,
        detail: verification.reason.message,
      });
    }
    return manager;
  }

  /** The model being served, or why there is none. */
  serving(): { ready: true; model: VerifiedModel } | { ready: false; reason: NotReadyReason } {
    const model = this.slot.current;
    if (model) return { ready: true, model };
    return { ready: false, reason: this.notReady?.reason ?? { code: 'model_unreadable', message: 'no model is loaded' } };
  }

  readiness(): Readiness {
    const serving = this.serving();
    return serving.ready ? { ready: true } : serving;
  }

  get policy(): BadReloadPolicy {
    return this.opts.policy;
  }

  /** Re-reads the model directory. */
  reload(): Promise<ModelChange> {
    return this.serialized(async () => {
      const steps: LoadSteps = {};
      const started = performance.now();
      const verification = await loadVerifiedModel(this.opts.dir, this.opts.verify ?? true, steps);
      releaseGarbage();
      if (verification.ok) {
        const change = this.serve('reload', verification, steps);
        this.recordLoad('reload', verification, steps, started);
        return change;
      }
      this.recordLoad('reload', verification, steps, started);
      if (this.opts.policy === 'fail-closed' || !this.slot.current) {
        this.slot.replace(undefined);
        this.opts.metrics.setModel(undefined);
        this.notReady = { reason: verification.reason, ...(verification.manifest ? { manifest: verification.manifest } : {}) };
      }
      return this.reject('reload', verification);
    });
  }

  /**
   * Verifies a model fetched from elsewhere (the primary) and serves it, then writes it into the model directory
   * so a restart or reload keeps it. Refused bytes change nothing: what was served is still served. A replica
   * that serves int8 serves the int8 variant of an fp32 model. `steps` holds what the caller timed already
   * (the download); `startedAt` (performance.now()) is when the load began, the download included.
   */
  adopt(manifest: Manifest, bytes: Uint8Array, source: string, steps: LoadSteps = {}, startedAt = performance.now()): Promise<ModelChange> {
    return this.serialized(async () => {
      const quantize = this.precision() === 'int8' && manifest.precision === 'fp32';
      const verification = quantize ? await verifyQuantized(manifest, bytes, source, steps) : await verifyModel(manifest, bytes, source, true, steps);
      if (!verification.ok) {
        this.recordLoad('sync', verification, steps, startedAt, manifest.bytes);
        return this.reject('sync', verification);
      }
      const { model } = verification;
      const change = this.serve('sync', verification, steps);
      // Recorded as soon as it serves (a harness that sees the new model asks for its loads at once); the write to
      // disk adds its time to the same steps when it is done.
      this.recordLoad('sync', verification, steps, startedAt, manifest.bytes);
      // Once on disk, the weights are served from the file and the downloaded bytes can go.
      const inMemory = model.weights;
      await timed(steps, 'persist', () => persistModel(this.opts.dir, model.manifest, inMemory)).then(
        (onDisk) => {
          model.weights = onDisk;
          return inMemory.close();
        },
        (e: unknown) =>
          this.opts.log('synced model is served but could not be written to the model directory; a restart reverts it', {
            level: 'warn',
            dir: this.opts.dir,
            error: String(e),
          }),
      );
      releaseGarbage();
      return change;
    });
  }

  /** What /v1/model shows about the model: the served one, or what the directory claimed when none is. */
  describe(): Record<string, unknown> {
    const manifest = this.slot.current?.manifest ?? this.notReady?.manifest;
    const serving = this.serving();
    return {
      ready: serving.ready,
      ...(serving.ready ? {} : { reason: serving.reason }),
      model: manifest ? summary(manifest) : null,
      manifest: manifest ?? null,
      // What an int8 standby syncs instead of quantizing this model itself (GET /v1/model/int8/weights).
      variants: { int8: this.slot.current?.int8?.manifest ?? null },
      ...(this.slot.current?.int8Problem ? { variantProblem: this.slot.current.int8Problem } : {}),
      onBadReload: this.opts.policy,
      rejected: this.lastRejected ?? null,
      loads: this.loads,
    };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.slot.close();
  }

  /** The precision this replica serves (or was given to serve): an int8 replica quantizes the fp32 models it syncs. */
  precision(): Precision {
    return (this.slot.current?.manifest ?? this.notReady?.manifest)?.precision ?? 'fp32';
  }

  private serialized<T>(change: () => Promise<T>): Promise<T> {
    const next = this.queue.then(change);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** `bytes`: the size of the file the load was given, when it is not the loaded model's (an fp32 file quantized). */
  private recordLoad(source: ModelChangeSource, verification: Verification, steps: LoadSteps, startedAt: number, bytes?: number): void {
    const manifest = verification.ok ? verification.model.manifest : verification.manifest;
    this.loads.push({
      at: new Date().toISOString(),
      source,
      outcome: verification.ok ? 'loaded' : verification.reason.code,
      ...(manifest ? { version: manifest.version, sha256: manifest.sha256 } : {}),
      ...((bytes ?? manifest?.bytes) !== undefined ? { bytes: bytes ?? manifest?.bytes } : {}),
      totalMs: Math.round(performance.now() - startedAt),
      steps,
    });
    if (this.loads.length > LOADS_KEPT) this.loads.shift();
  }

  private serve(source: ModelChangeSource, verification: Verification & { ok: true }, steps: LoadSteps): ModelChange {
    const { model } = verification;
    // The swap: requests in flight finish on the model they leased.
    const swapStarted = performance.now();
    this.slot.replace(model);
    steps.swap = Math.round((performance.now() - swapStarted) * 10) / 10;
    this.notReady = undefined;
    this.opts.metrics.setModel(model.identity);
    if (source !== 'startup') this.opts.metrics.countModelChange(source, 'loaded');
    this.opts.log(source === 'startup' ? 'model verified' : `model ${source === 'sync' ? 'synced' : 'reloaded'}`, {
      version: model.identity.version,
      sha256: model.identity.sha256,
      precision: model.identity.precision,
      ...(model.int8 ? { publishes: model.int8.manifest.version } : {}),
      steps,
    });
    if (model.int8Problem) this.opts.log('int8 variant not published; an int8 standby quantizes this model itself', { level: 'warn', detail: model.int8Problem });
    return { outcome: 'loaded', model: model.identity };
  }

  private reject(source: ModelChangeSource, verification: Verification & { ok: false }): ModelChange {
    const { manifest, reason } = verification;
    const rejection: Rejection = {
      at: new Date().toISOString(),
      source,
      ...(manifest ? { version: manifest.version, sha256: manifest.sha256 } : {}),
      reason,
    };
    this.lastRejected = rejection;
    this.opts.metrics.countModelChange(source, reason.code);
    const serving = this.slot.current?.identity;
    this.opts.log(`new model refused (${reason.code}); ${serving ? `still serving ${serving.version}` : 'serving nothing'}`, {
      level: 'error',
      source,
      reason: reason.code,
      detail: reason.message,
      policy: this.opts.policy,
    });
    return { outcome: 'rejected', rejection, ...(serving ? { serving } : {}) };
  }
}

function summary(m: Manifest) {
  return { name: m.name, version: m.version, sha256: m.sha256, bytes: m.bytes, precision: m.precision, seed: m.seed };
}
