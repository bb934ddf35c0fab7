// Hot backup: a standby polls the primary's /v1/model and, when the primary serves another model, downloads
// /v1/model/weights and hands the bytes to the model manager, which serves them only if they verify against the
// primary's manifest (checksum, parse, probes). Anything else is refused and retried at the next poll while the
// standby keeps serving what it has. A standby that serves int8 quantizes the primary's fp32 model itself.
import { parseManifest, type Manifest } from '../model/manifest';
import type { Log } from './log';
import type { InferenceMetrics } from './metrics';
import type { ModelManager } from './model-manager';
import type { NotReadyCode } from './model-state';

export const MODEL_SHA256_HEADER = 'x-model-sha256';
const POLL_TIMEOUT_MS = 2000;
// 7.7 MB through a throttled proxy in a drill can take a while; a stuck download must still end.
const DOWNLOAD_TIMEOUT_MS = 30_000;

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

export function startSync({ from, intervalMs, manager, log, metrics }: SyncOptions): HotBackupSync {
  const base = from.replace(/\/+$/, '');
  const stopping = new AbortController();
  let primary: SyncStatus['primary'] = null;
  let behindSince: number | undefined;
  let contacted = false;
  let lastPollAt: string | null = null;
  let lastSyncedAt: string | null = null;
  let lastError: SyncStatus['lastError'] = null;
  let consecutiveFailures = 0;
  let timer: NodeJS.Timeout | undefined;
  // Bytes that matched the primary's checksum yet failed to parse or probe fail the same way every time:
  // they are not downloaded again until the primary announces another model.
  let knownBad: { sha256: string; failure: SyncFailure } | undefined;

  const lagMs = () => (!contacted ? undefined : behindSince === undefined ? 0 : Date.now() - behindSince);

  async function fetchOk(path: string, timeoutMs: number, code: SyncErrorCode): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (e) {
      throw new SyncFailure(code, `GET ${base}${path} failed: ${describeError(e)}`);
    }
    if (res.status === 503) {
      await res.body?.cancel();
      throw new SyncFailure('primary_not_ready', `GET ${base}${path} answered 503: the primary serves no verified model`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new SyncFailure(code, `GET ${base}${path} answered ${res.status}`);
    }
    return res;
  }

  async function pollOnce(): Promise<void> {
    const res = await fetchOk('/v1/model', POLL_TIMEOUT_MS, 'primary_unreachable');
    let body: { ready?: unknown; manifest?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch (e) {
      throw new SyncFailure('primary_unreachable', `GET ${base}/v1/model did not return JSON: ${describeError(e)}`);
    }
    contacted = true;
    if (body.ready !== true) throw new SyncFailure('primary_not_ready', `the primary at ${base} serves no verified model`);
    let manifest: Manifest;
    try {
      manifest = parseManifest(body.manifest, `${base}/v1/model manifest`);
    } catch (e) {
      throw new SyncFailure('primary_manifest_invalid', (e as Error).message);
    }
    primary = { version: manifest.version, sha256: manifest.sha256 };
    const current = manager.slot.current?.manifest;
    // An int8 standby serves the quantized variant of the primary's model: in sync when it came from it.
    if (current && (current.sha256 === manifest.sha256 || current.sourceSha256 === manifest.sha256)) {
      behindSince = undefined;
      return;
    }
    behindSince ??= Date.now();
    if (knownBad?.sha256 === manifest.sha256) throw knownBad.failure;
    const weights = await fetchOk('/v1/model/weights', DOWNLOAD_TIMEOUT_MS, 'download_failed');
    const announced = weights.headers.get(MODEL_SHA256_HEADER);
    if (announced !== null && announced !== manifest.sha256) {
      await weights.body?.cancel();
      throw new SyncFailure('primary_changed', `the primary changed model between polling and download (${announced} is not ${manifest.sha256})`);
    }
    const bytes = await readAtMost(weights, manifest.bytes);
    const change = await manager.adopt(manifest, bytes, `${base}/v1/model/weights`);
    if (change.outcome === 'rejected') {
      const { code, message } = change.rejection.reason;
      const failure = new SyncFailure(code, message, true);
      if (code === 'model_unparseable' || code === 'model_probe_failed') knownBad = { sha256: manifest.sha256, failure };
      throw failure;
    }
    behindSince = undefined;
    lastSyncedAt = new Date().toISOString();
  }

  async function loop(): Promise<void> {
    lastPollAt = new Date().toISOString();
    try {
      await pollOnce();
      consecutiveFailures = 0;
    } catch (e) {
      if (stopping.signal.aborted) return;
      const failure = e instanceof SyncFailure ? e : new SyncFailure('download_failed', describeError(e));
      const changed = failure.code !== lastError?.code || consecutiveFailures === 0;
      consecutiveFailures++;
      lastError = { code: failure.code, message: failure.message, at: new Date().toISOString() };
      if (!failure.refusedByVerification) metrics.countModelChange('sync', failure.code);
      // One line per kind of failure in a streak, not one per poll, so a long outage does not flood the log.
      if (changed) log(`sync from ${base} failed (${failure.code}); retrying every ${intervalMs} ms`, { level: 'warn', reason: failure.code, detail: failure.message });
    }
    if (!stopping.signal.aborted) timer = setTimeout(() => void (running = loop()), intervalMs);
  }

  let running = loop();
  metrics.watchSyncLag(() => {
    const lag = lagMs();
    return lag === undefined ? undefined : lag / 1000;
  });

  return {
    status: () => ({
      from: base,
      intervalMs,
      inSync: contacted && behindSince === undefined && primary !== null,
      lagMs: lagMs() ?? null,
      primary,
      lastPollAt,
      lastSyncedAt,
      lastError,
      consecutiveFailures,
    }),
    stop: async () => {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * The response body, refused as soon as it exceeds the size the manifest announces: a primary that streams
 * without end must not exhaust the standby's memory. A shorter body is returned; the checksum refuses it.
 */
async function readAtMost(res: Response, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      // Throwing out of the loop cancels the stream.
      if (size > limit) {
        throw new SyncFailure('download_failed', `${res.url} sent more than the ${limit} bytes its manifest announces`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof SyncFailure) throw e;
    throw new SyncFailure('download_failed', `download of ${res.url} broke off after ${size} bytes: ${describeError(e)}`);
  }
  return Buffer.concat(chunks);
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}
