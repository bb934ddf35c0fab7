// Hot backup: a standby polls the primary's /v1/model and, when the primary serves another model, downloads
// /v1/model/weights and hands the bytes to the model manager, which serves them only if they verify against the
// primary's manifest (checksum, parse, probes). Anything else is refused and retried at the next poll while the
// standby keeps serving what it has. A standby that serves int8 syncs the int8 variant the primary publishes
// beside its fp32 model (a quarter of the bytes, nothing to quantize), verified like any model; when the primary
// publishes none, or what it publishes is refused, the standby downloads the fp32 model and quantizes it itself.
import { Agent as HttpAgent, get as httpGet, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, get as httpsGet } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Log } from '../common/cli';
import { parseManifest, type Manifest } from '../model/manifest';
import { type LoadSteps, timed } from './load-steps';
import type { InferenceMetrics } from './metrics';
import type { ModelManager } from './model-manager';
import { releaseGarbage } from './model-weights';
import type { NotReadyCode } from './model-state';

export const MODEL_SHA256_HEADER = 'x-model-sha256';
const WEIGHTS_PATH = '/v1/model/weights';
const INT8_WEIGHTS_PATH = '/v1/model/int8/weights';
const POLL_TIMEOUT_MS = 2000;
// A 1 GB model through a throttled sync link takes minutes, so a download has no deadline as a whole; a stuck
// one (no byte for this long) must still end.
export const DOWNLOAD_IDLE_MS = 30_000;

/** Transport and primary problems, or the reason verification refused the downloaded model. */
export type SyncErrorCode =
  | 'primary_unreachable'
  | 'primary_not_ready'
  | 'primary_manifest_invalid'
  | 'download_failed'
  | 'primary_changed'
  | NotReadyCode;

export interface SyncStatus {
  from: string;
  intervalMs: number;
  /** The standby serves the model the primary served at the last successful poll. */
  inSync: boolean;
  /** 0 in sync; otherwise how long since a poll first saw the primary on another model; null before any contact. */
  lagMs: number | null;
  primary: { version: string; sha256: string } | null;
  lastPollAt: string | null;
  lastSyncedAt: string | null;
  lastError: { code: SyncErrorCode; message: string; at: string } | null;
  consecutiveFailures: number;
}

export interface HotBackupSync {
  status(): SyncStatus;
  stop(): Promise<void>;
}

class SyncFailure extends Error {
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    /** The model manager refused the bytes (and counted the refusal in the metrics). */
    readonly refusedByVerification = false,
  ) {
    super(message);
  }
}

export interface SyncOptions {
  from: string;
  intervalMs: number;
  manager: ModelManager;
  log: Log;
  metrics: InferenceMetrics;
}

export function startSync(opts: SyncOptions): HotBackupSync {
  return new HotBackupPoller(opts);
}

/** Polls the primary every intervalMs (after the previous poll ended) until stopped. */
class HotBackupPoller implements HotBackupSync {
  private readonly base: string;
  private readonly stopping = new AbortController();
  /** Keeps the connection to the primary open between polls; closed by stop(). */
  private readonly agent: HttpAgent;
  private primary: SyncStatus['primary'] = null;
  private behindSince: number | undefined;
  private contacted = false;
  private lastPollAt: string | null = null;
  private lastSyncedAt: string | null = null;
  private lastError: SyncStatus['lastError'] = null;
  private consecutiveFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void>;
  // Bytes that matched the primary's checksum yet failed to parse or probe fail the same way every time:
  // they are not downloaded again until the primary announces another model.
  private knownBad: { sha256: string; failure: SyncFailure } | undefined;
  /** The sha256 of a published int8 variant this standby refused: it syncs the fp32 model instead. */
  private refusedVariant: string | undefined;
  /** A download was made since the last poll ended. */
  private downloaded = false;

  constructor(private readonly opts: SyncOptions) {
    this.base = opts.from.replace(/\/+$/, '');
    this.agent = this.base.startsWith('https:') ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.running = this.loop();
    opts.metrics.watchSyncLag(() => {
      const lag = this.lagMs();
      return lag === undefined ? undefined : lag / 1000;
    });
  }

  status(): SyncStatus {
    return {
      from: this.base,
      intervalMs: this.opts.intervalMs,
      inSync: this.contacted && this.behindSince === undefined && this.primary !== null,
      lagMs: this.lagMs() ?? null,
      primary: this.primary,
      lastPollAt: this.lastPollAt,
      lastSyncedAt: this.lastSyncedAt,
      lastError: this.lastError,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.running;
    this.agent.destroy();
  }

  private lagMs(): number | undefined {
    if (!this.contacted) return undefined;
    return this.behindSince === undefined ? 0 : Date.now() - this.behindSince;
  }

  private async loop(): Promise<void> {
    this.lastPollAt = new Date().toISOString();
    try {
      await this.pollOnce();
      this.consecutiveFailures = 0;
    } catch (e) {
      if (this.stopping.signal.aborted) return;
      this.recordFailure(e instanceof SyncFailure ? e : new SyncFailure('download_failed', describeError(e)));
    }
    // The downloaded bytes, adopted (then on disk) or refused, are garbage now.
    if (this.downloaded) {
      this.downloaded = false;
      releaseGarbage();
    }
    if (!this.stopping.signal.aborted) this.timer = setTimeout(() => void (this.running = this.loop()), this.opts.intervalMs);
  }

  private recordFailure(failure: SyncFailure): void {
    const changed = failure.code !== this.lastError?.code || this.consecutiveFailures === 0;
    this.consecutiveFailures++;
    this.lastError = { code: failure.code, message: failure.message, at: new Date().toISOString() };
    if (!failure.refusedByVerification) this.opts.metrics.countModelChange('sync', failure.code);
    // One line per kind of failure in a streak, not one per poll, so a long outage does not flood the log.
    if (changed) {
      const msg = `sync from ${this.base} failed (${failure.code}); retrying every ${this.opts.intervalMs} ms`;
      this.opts.log(msg, { level: 'warn', reason: failure.code, detail: failure.message });
    }
  }

  private async pollOnce(): Promise<void> {
    const { manifest, int8 } = await this.primaryManifest();
    this.primary = { version: manifest.version, sha256: manifest.sha256 };
    const current = this.opts.manager.slot.current?.manifest;
    // An int8 standby serves the quantized variant of the primary's model: in sync when it came from it.
    if (current && (current.sha256 === manifest.sha256 || current.sourceSha256 === manifest.sha256)) {
      this.behindSince = undefined;
      return;
    }
    this.behindSince ??= Date.now();
    if (this.knownBad?.sha256 === manifest.sha256) throw this.knownBad.failure;
    if (!(await this.syncVariant(manifest, int8))) {
      const steps: LoadSteps = {};
      const startedAt = performance.now();
      const bytes = await timed(steps, 'download', () => this.download(WEIGHTS_PATH, manifest));
      await this.adopt(WEIGHTS_PATH, manifest, bytes, steps, startedAt);
    }
    this.behindSince = undefined;
    this.lastSyncedAt = new Date().toISOString();
  }

  /**
   * For an int8 standby: syncs the int8 variant the primary publishes of `fp32`, if it publishes one this standby
   * has not refused before. False: there was none to sync, or it was refused (logged), and the fp32 model is next.
   */
  private async syncVariant(fp32: Manifest, int8: Manifest | undefined): Promise<boolean> {
    if (this.opts.manager.precision() !== 'int8' || int8?.sourceSha256 !== fp32.sha256 || int8.precision !== 'int8' || this.refusedVariant === int8.sha256) return false;
    const steps: LoadSteps = {};
    const startedAt = performance.now();
    const bytes = await timed(steps, 'download', () => this.download(INT8_WEIGHTS_PATH, int8));
    try {
      await this.adopt(INT8_WEIGHTS_PATH, int8, bytes, steps, startedAt);
      return true;
    } catch (e) {
      if (!(e instanceof SyncFailure) || !e.refusedByVerification) throw e;
      this.refusedVariant = int8.sha256;
      releaseGarbage();
      this.opts.log(`the primary's int8 variant ${int8.version} was refused (${e.code}); syncing its fp32 model and quantizing it instead`, { level: 'warn', reason: e.code, detail: e.message });
      return false;
    }
  }

  /** The manifest of the model the primary serves and of the int8 variant it publishes, from GET /v1/model. */
  private async primaryManifest(): Promise<{ manifest: Manifest; int8?: Manifest }> {
    const res = await this.fetchOk('/v1/model', AbortSignal.timeout(POLL_TIMEOUT_MS), 'primary_unreachable');
    let body: { ready?: unknown; manifest?: unknown; variants?: { int8?: unknown } };
    try {
      body = JSON.parse(await readText(res)) as typeof body;
    } catch (e) {
      throw new SyncFailure('primary_unreachable', `GET ${this.base}/v1/model did not return JSON: ${describeError(e)}`);
    }
    this.contacted = true;
    if (body.ready !== true) throw new SyncFailure('primary_not_ready', `the primary at ${this.base} serves no verified model`);
    try {
      const manifest = parseManifest(body.manifest, `${this.base}/v1/model manifest`);
      const int8 = body.variants?.int8;
      return { manifest, ...(int8 ? { int8: parseManifest(int8, `${this.base}/v1/model variants.int8`) } : {}) };
    } catch (e) {
      throw new SyncFailure('primary_manifest_invalid', (e as Error).message);
    }
  }

  private async download(path: string, manifest: Manifest): Promise<Uint8Array> {
    this.downloaded = true;
    const stalled = new AbortController();
    const stall = () => setTimeout(() => stalled.abort(new Error(`no bytes arrived for ${DOWNLOAD_IDLE_MS} ms`)), DOWNLOAD_IDLE_MS);
    let timer = stall();
    try {
      const weights = await this.fetchOk(path, stalled.signal, 'download_failed');
      const announced = weights.headers[MODEL_SHA256_HEADER];
      if (announced !== undefined && announced !== manifest.sha256) {
        weights.destroy();
        throw new SyncFailure('primary_changed', `the primary changed model between polling and download (${announced} is not ${manifest.sha256})`);
      }
      return await readAtMost(weights, `${this.base}${path}`, manifest.bytes, () => {
        clearTimeout(timer);
        timer = stall();
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hands the bytes to the model manager, which serves them only if they verify. */
  private async adopt(path: string, manifest: Manifest, bytes: Uint8Array, steps: LoadSteps, startedAt: number): Promise<void> {
    const change = await this.opts.manager.adopt(manifest, bytes, `${this.base}${path}`, steps, startedAt);
    if (change.outcome === 'loaded') return;
    const { code, message } = change.rejection.reason;
    const failure = new SyncFailure(code, message, true);
    if (path === WEIGHTS_PATH && (code === 'model_unparseable' || code === 'model_probe_failed')) this.knownBad = { sha256: manifest.sha256, failure };
    throw failure;
  }

  /** GET `path` from the primary; `deadline` aborts it (body included) when the caller's limit is reached. */
  private async fetchOk(path: string, deadline: AbortSignal, code: SyncErrorCode): Promise<IncomingMessage> {
    const url = `${this.base}${path}`;
    let res: IncomingMessage;
    try {
      res = await get(url, this.agent, AbortSignal.any([this.stopping.signal, deadline]));
    } catch (e) {
      throw new SyncFailure(code, `GET ${url} failed: ${describeError(e)}`);
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    res.destroy();
    if (status === 503) throw new SyncFailure('primary_not_ready', `GET ${url} answered 503: the primary serves no verified model`);
    throw new SyncFailure(code, `GET ${url} answered ${status}`);
  }
}

/**
 * The response body, refused as soon as it exceeds the size the manifest announces: a primary that streams
 * without end must not exhaust the standby's memory. A shorter body is returned; the checksum refuses it.
 */
async function readAtMost(res: IncomingMessage, url: string, limit: number, onProgress: () => void): Promise<Uint8Array> {
  // Written in place as it arrives: collecting chunks and concatenating them held a large model twice.
  const bytes = Buffer.allocUnsafe(limit);
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      onProgress();
      // Throwing out of the loop cancels the stream.
      if (size + chunk.byteLength > limit) {
        throw new SyncFailure('download_failed', `${url} sent more than the ${limit} bytes its manifest announces`);
      }
      bytes.set(chunk, size);
      size += chunk.byteLength;
    }
  } catch (e) {
    if (e instanceof SyncFailure) throw e;
    throw new SyncFailure('download_failed', `download of ${url} broke off after ${size} bytes: ${describeError(e)}`);
  }
  return bytes.subarray(0, size);
}

// node:http rather than fetch: a standby polls for as long as it runs, and in the same poll loop (a 30 KB JSON
// answer, 6000 times) fetch's machinery (undici, web streams) held 118-138 MB of resident memory against 76-95 MB
// with http.get. In a 1 GB int8 standby polling every 200 ms, fetch's part was ~30 MB of malloc'd memory that
// grew with the polls (340 -> 375 MB over two minutes, against 312 MB for the same replica without sync).
/** GET `url` through `agent`; resolves with the response once its headers arrived. `signal` aborts it, body included. */
function get(url: string, agent: HttpAgent, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsGet(url, { agent, signal }, resolve) : httpGet(url, { agent, signal }, resolve);
    request.once('error', reject);
  });
}

async function readText(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}
