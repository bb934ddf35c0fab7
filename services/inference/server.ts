// The inference service: plain node:http (a framework's per-request overhead is a visible share of a 0.1 ms
// inference) in front of one verified onnxruntime session, which reloads and hot-backup syncs can swap.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { jsonLineLog, type Log } from '../common/cli';
import { MAX_BODY_BYTES, rankingOf, type RankResponse } from '../common/contract';
import { gracefulClose, HttpError, isHttpError, listen, localUrl, readBody, sendError, sendJson, sendJsonText, sendMetrics } from '../common/http';
import { replicaServerTiming } from '../common/server-timing';
import { type OptionsOf, withDefaults } from '../common/settings';
import { hasBearerToken } from './admin';
import { createMetrics, type InferenceMetrics } from './metrics';
import { type ModelChange, ModelManager, type Readiness } from './model-manager';
import type { Manifest } from '../model/manifest';
import type { VerifiedModel } from './model-state';
import type { ServedWeights } from './model-weights';
import { isV2Path, matchV2Path, type ModelRef, v2ErrorBody, v2Routes } from './oip-v2';
import { INFERENCE_SETTINGS } from './options';
import { type HotBackupSync, MODEL_SHA256_HEADER, startSync } from './sync';
import { readRankRequest } from './validate';

export type { Readiness } from './model-manager';

/** The settings (flags of the command) plus what only a caller in code passes. */
export type InferenceServerOptions = OptionsOf<typeof INFERENCE_SETTINGS> & {
  /** Where log lines go; JSON lines on stdout by default. */
  log?: Log;
  /** Enables POST /admin/reload for `Authorization: Bearer <adminToken>`; without it admin routes are 404. */
  adminToken?: string;
};

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
/** `ref` is the model a v2 path names; other routes have none. */
type Handler = (req: IncomingMessage, res: ServerResponse, ref: ModelRef) => void | Promise<void>;
type Routes = Record<string, Partial<Record<Method, Handler>>>;
type Replica = RankResponse['replica'];

/** What changes after the routes are made: the hot-backup sync starts after listening. */
interface Lifecycle {
  sync: HotBackupSync | undefined;
}

// In-flight requests get this long to finish on close before their connections are cut.
const CLOSE_GRACE_MS = 2000;

export async function startInferenceServer(opts: InferenceServerOptions): Promise<InferenceServer> {
  const config = withDefaults(INFERENCE_SETTINGS, opts);
  const replica: Replica = { name: config.name ?? config.role, role: config.role };
  const log = opts.log ?? jsonLineLog({ service: 'inference', ...replica });
  const metrics = createMetrics();
  const manager = await ModelManager.start({ dir: config.modelDir, verify: config.verify, policy: config.onBadReload, log, metrics });
  const lifecycle: Lifecycle = { sync: undefined };
  const routes = inferenceRoutes(manager, metrics, replica, lifecycle);
  if (opts.adminToken) routes['/admin/reload'] = { POST: adminReload(manager, opts.adminToken) };
  const server = createServer();
  const closeServer = gracefulClose(server);
  server.on('request', requestListener(routes, metrics, log));
  server.on('clientError', answerClientError);
  try {
    await listen(server, config.port, config.host, 'the inference server');
  } catch (e) {
    await manager.close();
    throw e;
  }
  if (config.syncFrom) lifecycle.sync = startSync({ from: config.syncFrom, intervalMs: config.syncIntervalMs, manager, log, metrics });
  const { port } = server.address() as AddressInfo;
  return {
    url: localUrl(config.host, port),
    port,
    readiness: () => manager.readiness(),
    reload: () => manager.reload(),
    close: async () => {
      await lifecycle.sync?.stop();
      await closeServer(CLOSE_GRACE_MS);
      await manager.close();
    },
  };
}

/** The model being served, or the 503 that says why none is. */
function servedModel(manager: ModelManager): VerifiedModel {
  const serving = manager.serving();
  if (!serving.ready) throw new HttpError(503, serving.reason.code, serving.reason.message);
  return serving.model;
}

/** Runs `fn` with the model served now, leased until it settles, or throws the 503 that says why none is. */
async function useServedModel<T>(manager: ModelManager, fn: (model: VerifiedModel) => Promise<T>): Promise<T> {
  const used = await manager.slot.use(fn);
  if (used) return used.value;
  // fail-closed unloaded the model while the body was read: answer with the reason it gives.
  servedModel(manager);
  throw new HttpError(503, 'model_changed', 'the model changed while the request was read; retry');
}

function inferenceRoutes(manager: ModelManager, metrics: InferenceMetrics, replica: Replica, lifecycle: Lifecycle): Routes {
  return {
    '/healthz': { GET: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/readyz': {
      GET: (_req, res) => {
        const model = servedModel(manager);
        sendJson(res, 200, { status: 'ready', model: { name: model.manifest.name, ...model.identity } });
      },
    },
    '/v1/model': { GET: (_req, res) => sendJson(res, 200, { ...manager.describe(), replica, sync: lifecycle.sync?.status() ?? null }) },
    // Leased while it streams: a model swapped out meanwhile keeps its file open until the download ends.
    '/v1/model/weights': { GET: (_req, res) => useServedModel(manager, (model) => sendWeights(res, model.weights, model.manifest)) },
    '/v1/model/int8/weights': {
      GET: (_req, res) =>
        useServedModel(manager, async (model) => {
          if (!model.int8) throw new HttpError(404, 'no_int8_variant', `${model.identity.version} publishes no int8 variant${model.int8Problem ? `: ${model.int8Problem}` : ''}`);
          return sendWeights(res, model.int8.weights, model.int8.manifest);
        }),
    },
    '/v1/rank': { POST: rank(manager, replica) },
    '/metrics': { GET: (_req, res) => sendMetrics(res, metrics.registry) },
    ...v2Routes({ served: () => servedModel(manager), use: (fn) => useServedModel(manager, fn), replica }),
  };
}

async function sendWeights(res: ServerResponse, weights: ServedWeights, manifest: Manifest): Promise<void> {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': weights.size,
    [MODEL_SHA256_HEADER]: manifest.sha256,
    'x-model-version': manifest.version,
    etag: `"${manifest.sha256}"`,
  });
  // A client that goes away mid-download ends the pipeline with an error that is not the server's to answer.
  await pipeline(weights.stream(), res).catch(() => res.destroy());
}

/** POST /v1/rank. */
function rank(manager: ModelManager, replica: Replica): Handler {
  return async (req, res) => {
    const started = performance.now();
    // Refuse before reading the body: an unverified replica must not spend time on work it will not serve.
    servedModel(manager);
    const body = await readBody(req, MAX_BODY_BYTES);
    // Ids are checked against the model that scores them, and the response names that model, even if another
    // is swapped in meanwhile.
    const { scores, model } = await useServedModel(manager, async (model) => {
      const input = readRankRequest(body, model.manifest.io.vocab);
      return { scores: await model.ranker.scoreInput(input), model: model.identity };
    });
    const json = rankResponseJson({ scores, model, replica });
    sendJsonText(res, 200, json, { 'server-timing': replicaServerTiming(performance.now() - started) });
  };
}

/** POST /admin/reload, for a request with the bearer token. */
function adminReload(manager: ModelManager, token: string): Handler {
  return async (req, res) => {
    if (!hasBearerToken(req, token)) {
      throw new HttpErrorWithHeaders(401, 'unauthorized', 'POST /admin/reload needs Authorization: Bearer <token>', { 'www-authenticate': 'Bearer' });
    }
    req.resume();
    const change = await manager.reload();
    if (change.outcome === 'loaded') return sendJson(res, 200, change);
    const { reason } = change.rejection;
    const serving = change.serving ? `still serving ${change.serving.version}` : 'serving nothing';
    throw new HttpError(422, reason.code, `reload refused: ${reason.message}; ${serving} (on bad reload: ${manager.policy})`);
  };
}

/** Routes each request, counts it in the metrics when its response is finished, and answers any error it throws. */
function requestListener(routes: Routes, metrics: InferenceMetrics, log: Log): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const path = pathOf(req);
    const { route, ref } = routeOf(routes, path);
    res.once('finish', () => {
      const method = req.method === 'GET' || req.method === 'POST' ? req.method : 'other';
      metrics.observeRequest(routes[route] ? route : 'unmatched', method, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    handle(routes, route, ref, req, res).catch((e: unknown) => fail(res, e, log, isV2Path(path)));
  };
}

/** Bytes that are not HTTP never reach a handler; Node would answer a bare 400 without the JSON error body. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
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

/** The route a path takes: its own, or the pattern of a v2 model path (one route, and one metrics label, per pattern). */
function routeOf(routes: Routes, path: string): { route: string; ref: ModelRef } {
  if (routes[path]) return { route: path, ref: {} };
  const v2 = matchV2Path(path);
  return v2 ? { route: v2.pattern, ref: v2.ref } : { route: path, ref: {} };
}

async function handle(routes: Routes, path: string, ref: ModelRef, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = routes[path];
  if (!route) throw new HttpError(404, 'not_found', `no route for ${req.method} ${path}`);
  const handler = route[req.method as Method];
  if (!handler) {
    const allowed = Object.keys(route).join(', ');
    throw new HttpErrorWithHeaders(405, 'method_not_allowed', `${path} accepts ${allowed}, not ${req.method}`, { allow: allowed });
  }
  await handler(req, res, ref);
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

/** Last line of defence: whatever a request throws becomes a response, never a crash; on a v2 path, in v2's error shape. */
function fail(res: ServerResponse, e: unknown, log: Log, v2: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const send = (error: HttpError, headers: Record<string, string> = {}) => (v2 ? sendJson(res, error.status, v2ErrorBody(error), headers) : sendError(res, error, headers));
  if (e instanceof HttpErrorWithHeaders) return send(e, e.headers);
  // A body over the limit is left unread: close the connection rather than drain it.
  if (isHttpError(e)) return send(e, e.status === 413 ? { connection: 'close' } : {});
  log('request failed', { level: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  send(new HttpError(500, 'internal', `internal error: ${e instanceof Error ? e.message : String(e)}`));
}
