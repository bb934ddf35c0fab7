// The inference service: plain node:http (a framework's per-request overhead is a visible share of a 0.1 ms
// inference) in front of one verified onnxruntime session, which reloads and hot-backup syncs can swap.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_BODY_BYTES, rankingOf, type RankResponse, type Role } from '../common/contract';
import { HttpError, isHttpError, readBody, sendError, sendJson, sendJsonText } from '../common/http';
import { hasBearerToken } from './admin';
import { jsonLineLog, type Log } from './log';
import { createMetrics } from './metrics';
import { type BadReloadPolicy, type ModelChange, ModelManager, type Readiness } from './model-manager';
import type { NotReadyReason } from './model-state';
import { type HotBackupSync, MODEL_SHA256_HEADER, startSync } from './sync';
import { readRankRequest } from './validate';

export type { Readiness } from './model-manager';

export interface InferenceServerOptions {
  modelDir: string;
  port: number;
  host?: string;
  role: Role;
  name: string;
  /** Where log lines go; JSON lines on stdout by default. */
  log?: Log;
  /** false: serve whatever model is on disk without checksum or probes (negative control only). Default true. */
  verify?: boolean;
  /** What a reload that finds bad weights does (default keep-last-good). */
  onBadReload?: BadReloadPolicy;
  /** Enables POST /admin/reload for `Authorization: Bearer <adminToken>`; without it admin routes are 404. */
  adminToken?: string;
  /** Hot backup: the primary's base URL to sync the model from. */
  syncFrom?: string;
  /** Poll interval of the sync (default 1000 ms). */
  syncIntervalMs?: number;
}

export interface InferenceServer {
  url: string;
  port: number;
  readiness(): Readiness;
  /** Re-reads the model directory (what SIGHUP and POST /admin/reload do). */
  reload(): Promise<ModelChange>;
  /** Stops accepting connections, lets requests in flight finish, then releases the model. */
  close(): Promise<void>;
}

type Method = 'GET' | 'POST';
type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
type Routes = Record<string, Partial<Record<Method, Handler>>>;

// In-flight requests get this long to finish on close before their connections are cut.
const CLOSE_GRACE_MS = 2000;
const DEFAULT_SYNC_INTERVAL_MS = 1000;

export async function startInferenceServer(opts: InferenceServerOptions): Promise<InferenceServer> {
  const log = opts.log ?? jsonLineLog({ service: 'inference', name: opts.name, role: opts.role });
  const replica = { name: opts.name, role: opts.role };
  const metrics = createMetrics();
  const manager = await ModelManager.start({ dir: opts.modelDir, verify: opts.verify ?? true, policy: opts.onBadReload ?? 'keep-last-good', log, metrics });

  const notReady = (reason: NotReadyReason) => new HttpError(503, reason.code, reason.message);
  const servedModel = () => {
    const serving = manager.serving();
    if (!serving.ready) throw notReady(serving.reason);
    return serving.model;
  };
  let sync: HotBackupSync | undefined;

  const routes: Routes = {
    '/healthz': { GET: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/readyz': {
      GET: (_req, res) => {
        const model = servedModel();
        sendJson(res, 200, { status: 'ready', model: { name: model.manifest.name, ...model.identity } });
      },
    },
    '/v1/model': { GET: (_req, res) => sendJson(res, 200, { ...manager.describe(), replica, sync: sync?.status() ?? null }) },
    '/v1/model/weights': {
      GET: (_req, res) => {
        const model = servedModel();
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': model.bytes.byteLength,
          [MODEL_SHA256_HEADER]: model.identity.sha256,
          'x-model-version': model.identity.version,
          etag: `"${model.identity.sha256}"`,
        });
        res.end(model.bytes);
      },
    },
    '/v1/rank': {
      POST: async (req, res) => {
        // Refuse before reading the body: an unverified replica must not spend time on work it will not serve.
        servedModel();
        const body = await readBody(req, MAX_BODY_BYTES);
        // Ids are checked against the model that scores them, and the response names that model, even if another
        // is swapped in meanwhile.
        const served = await manager.slot.use(async (model) => {
          const input = readRankRequest(body, model.manifest.io.vocab);
          return { scores: await model.ranker.scoreInput(input), model: model.identity };
        });
        if (!served) {
          // fail-closed unloaded the model while the body was read: answer with the reason it gives.
          servedModel();
          throw new HttpError(503, 'model_changed', 'the model changed while the request was read; retry');
        }
        const { scores, model } = served.value;
        sendJsonText(res, 200, rankResponseJson({ scores, model, replica }));
      },
    },
    '/metrics': {
      GET: async (_req, res) => {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    },
  };
  if (opts.adminToken) {
    const token = opts.adminToken;
    routes['/admin/reload'] = {
      POST: async (req, res) => {
        if (!hasBearerToken(req, token)) {
          throw new HttpErrorWithHeaders(401, 'unauthorized', 'POST /admin/reload needs Authorization: Bearer <token>', { 'www-authenticate': 'Bearer' });
        }
        req.resume();
        const change = await manager.reload();
        if (change.outcome === 'loaded') return sendJson(res, 200, change);
        const { reason } = change.rejection;
        const serving = change.serving ? `still serving ${change.serving.version}` : 'serving nothing';
        throw new HttpError(422, reason.code, `reload refused: ${reason.message}; ${serving} (on bad reload: ${manager.policy})`);
      },
    };
  }

  let closing = false;
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const path = pathOf(req);
    res.once('finish', () => {
      // server.close() only closes connections idle at that moment; a keep-alive connection whose request was in
      // flight would otherwise hold shutdown until the grace period ends.
      if (closing) setImmediate(() => server.closeIdleConnections());
      const route = routes[path] ? path : 'unmatched';
      const method = req.method === 'GET' || req.method === 'POST' ? req.method : 'other';
      metrics.observeRequest(route, method, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    handle(routes, path, req, res).catch((e: unknown) => fail(res, e, log));
  });
  // Bytes that are not HTTP never reach a handler; Node would answer a bare 400 without the JSON error body.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify(
      new HttpError(status, tooLarge ? 'headers_too_large' : 'bad_http', `the request is not valid HTTP/1.1: ${error.code ?? error.message}`).body(),
    );
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  const host = opts.host ?? '0.0.0.0';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    await manager.close();
    throw new Error(`cannot listen on ${host} port ${opts.port}: ${(cause as Error).message}`, { cause });
  }
  if (opts.syncFrom) {
    sync = startSync({ from: opts.syncFrom, intervalMs: opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS, manager, log, metrics });
  }
  const { port } = server.address() as AddressInfo;
  // A wildcard address is not something to connect to; loopback reaches it.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    readiness: () => manager.readiness(),
    reload: () => manager.reload(),
    close: async () => {
      closing = true;
      await sync?.stop();
      const cutoff = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(cutoff);
      await manager.close();
    },
  };
}

/**
 * The RankResponse as JSON, written by hand: JSON.stringify needs the scores copied into an array and walks
 * the object generically, ~8 µs more for 100 scores. The text is the same (ToString of each score, which
 * alone is ~60 µs: a float32 as a double takes up to 17 digits); a score that is not finite needs JSON's null,
 * so then the object goes through JSON.stringify.
 */
function rankResponseJson({ scores, model, replica }: Omit<RankResponse, 'scores' | 'ranking'> & { scores: Float32Array }): string {
  const ranking = rankingOf(scores);
  if (!scores.every(Number.isFinite)) return JSON.stringify({ scores: Array.from(scores), ranking, model, replica } satisfies RankResponse);
  return `{"scores":[${scores.join(',')}],"ranking":[${ranking.join(',')}],"model":${JSON.stringify(model)},"replica":${JSON.stringify(replica)}}`;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

async function handle(routes: Routes, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = routes[path];
  if (!route) throw new HttpError(404, 'not_found', `no route for ${req.method} ${path}`);
  const handler = route[req.method as Method];
  if (!handler) {
    const allowed = Object.keys(route).join(', ');
    throw new HttpErrorWithHeaders(405, 'method_not_allowed', `${path} accepts ${allowed}, not ${req.method}`, { allow: allowed });
  }
  await handler(req, res);
}

/** An HTTP error whose response needs headers of its own (Allow, WWW-Authenticate). */
class HttpErrorWithHeaders extends HttpError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly headers: Record<string, string>,
  ) {
    super(status, code, message);
  }
}

/** Last line of defence: whatever a request throws becomes a response, never a crash. */
function fail(res: ServerResponse, e: unknown, log: Log): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof HttpErrorWithHeaders) return sendError(res, e, e.headers);
  // A body over the limit is left unread: close the connection rather than drain it.
  if (isHttpError(e)) return sendError(res, e, e.status === 413 ? { connection: 'close' } : {});
  log('request failed', { level: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  sendError(res, new HttpError(500, 'internal', `internal error: ${e instanceof Error ? e.message : String(e)}`));
}
