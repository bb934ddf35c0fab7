// The inference service: plain node:http (a framework's per-request overhead is a visible share of a 0.1 ms
// inference) in front of one verified onnxruntime session.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES, rankingOf, type RankResponse, type Role } from '../common/contract';
import { HttpError, isHttpError, parseJson, readBody, sendError, sendJson } from '../common/http';
import { jsonLineLog, type Log } from './log';
import { loadVerifiedModel, type ModelState, type NotReadyReason } from './model-state';
import { parseRankRequest } from './validate';

export interface InferenceServerOptions {
  modelDir: string;
  port: number;
  host?: string;
  role: Role;
  name: string;
  /** Where log lines go; JSON lines on stdout by default. */
  log?: Log;
}

export type Readiness = { ready: true } | { ready: false; reason: NotReadyReason };

export interface InferenceServer {
  url: string;
  port: number;
  readiness(): Readiness;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
type Routes = Record<string, Partial<Record<'GET' | 'POST', Handler>>>;

// In-flight requests get this long to finish on close before their connections are cut.
const CLOSE_GRACE_MS = 2000;

export async function startInferenceServer(opts: InferenceServerOptions): Promise<InferenceServer> {
  const log = opts.log ?? jsonLineLog({ service: 'inference', name: opts.name, role: opts.role });
  const replica = { name: opts.name, role: opts.role };
  const state: ModelState = await loadVerifiedModel(opts.modelDir);
  if (state.ready) {
    log('model verified', { version: state.manifest.version, sha256: state.manifest.sha256 });
  } else {
    log(`model not verified (${state.reason.code}); /readyz and /v1/rank answer 503 until a verified model is loaded`, {
      level: 'error',
      reason: state.reason.code,
      detail: state.reason.message,
    });
  }

  const notReady = (reason: NotReadyReason) => new HttpError(503, reason.code, reason.message);
  const claimedModel = () =>
    state.manifest && {
      name: state.manifest.name,
      version: state.manifest.version,
      sha256: state.manifest.sha256,
      bytes: state.manifest.bytes,
      precision: state.manifest.precision,
      seed: state.manifest.seed,
    };

  const routes: Routes = {
    '/healthz': { GET: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/readyz': {
      GET: (_req, res) => {
        if (!state.ready) throw notReady(state.reason);
        sendJson(res, 200, { status: 'ready', model: { name: state.manifest.name, ...state.identity } });
      },
    },
    '/v1/model': {
      GET: (_req, res) =>
        sendJson(res, 200, {
          ready: state.ready,
          ...(state.ready ? {} : { reason: state.reason }),
          model: claimedModel() ?? null,
          replica,
        }),
    },
    '/v1/rank': {
      POST: async (req, res) => {
        // Refuse before reading the body: an unverified replica must not spend time on work it will not serve.
        if (!state.ready) throw notReady(state.reason);
        const request = parseRankRequest(parseJson(await readBody(req, MAX_BODY_BYTES)));
        const scores = await state.ranker.score(request);
        const body: RankResponse = { scores: Array.from(scores), ranking: rankingOf(scores), model: state.identity, replica };
        sendJson(res, 200, body);
      },
    },
  };

  const server = createServer((req, res) => {
    handle(routes, req, res).catch((e: unknown) => fail(res, e, log));
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
    if (state.ready) await state.ranker.release();
    throw new Error(`cannot listen on ${host} port ${opts.port}: ${(cause as Error).message}`, { cause });
  }
  const { port } = server.address() as AddressInfo;
  // A wildcard address is not something to connect to; loopback reaches it.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    readiness: () => (state.ready ? { ready: true } : { ready: false, reason: state.reason }),
    close: async () => {
      const cutoff = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(cutoff);
      if (state.ready) await state.ranker.release();
    },
  };
}

async function handle(routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const route = routes[path];
  if (!route) throw new HttpError(404, 'not_found', `no route for ${req.method} ${path}`);
  const handler = route[req.method as 'GET' | 'POST'];
  if (!handler) {
    const allowed = Object.keys(route).join(', ');
    throw new MethodNotAllowed(`${path} accepts ${allowed}, not ${req.method}`, allowed);
  }
  await handler(req, res);
}

class MethodNotAllowed extends HttpError {
  constructor(
    message: string,
    readonly allow: string,
  ) {
    super(405, 'method_not_allowed', message);
  }
}

/** Last line of defence: whatever a request throws becomes a response, never a crash. */
function fail(res: ServerResponse, e: unknown, log: Log): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof MethodNotAllowed) return sendError(res, e, { allow: e.allow });
  // A body over the limit is left unread: close the connection rather than drain it.
  if (isHttpError(e)) return sendError(res, e, e.status === 413 ? { connection: 'close' } : {});
  log('request failed', { level: 'error', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  sendError(res, new HttpError(500, 'internal', `internal error: ${e instanceof Error ? e.message : String(e)}`));
}
