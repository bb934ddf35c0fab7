import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../common/contract';
import { closeServer, HttpError, isHttpError, listen, localUrl, sendError, sendJson, sendMetrics } from '../common/http';
import { withDefaults } from '../common/settings';
import { HedgeDelay } from './hedge-delay';
import { type RouteOptions, routeRank, type Routed } from './hedged-failover';
import { RouterMetrics } from './metrics';
import { ModelAllowList } from './model-allow-list';
import { type RouterConfig, type RouterOptions, ROUTER_SETTINGS } from './options';
import { startProber } from './prober';
import { candidateCountOfRequest } from './rank-request';
import { ReplicaState, type ReplicaStateChange } from './replica-state';
import { Upstream } from './upstream';

export type { RouterOptions } from './options';

export interface StartedRouter {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
type Routes = Record<string, Partial<Record<string, Handler>>>;

export async function startRouter(opts: RouterOptions): Promise<StartedRouter> {
  const config: RouterConfig = withDefaults(ROUTER_SETTINGS, opts);
  const allowList = new ModelAllowList(config.allowedSha256);
  const upstreams = createUpstreams(config, allowList, opts.onStateChange ?? (() => {}));
  const metrics = new RouterMetrics(upstreams);
  const server = createServer({ noDelay: true, keepAlive: true }, dispatch(routerRoutes(config, upstreams, allowList, metrics)));
  await learnStartingModels(upstreams, allowList, config.probeTimeoutMs);
  try {
    await listen(server, config.port, config.host, 'the router');
  } catch (e) {
    await Promise.all(upstreams.map((u) => u.close()));
    throw e;
  }
  const schedule = { intervalMs: config.probeIntervalMs, healthyIntervalMs: config.healthyProbeIntervalMs, timeoutMs: config.probeTimeoutMs };
  const probers = upstreams.map((u) => startProber(u, allowList, schedule));
  const { port } = server.address() as AddressInfo;
  return {
    url: localUrl(config.host, port),
    port,
    async close() {
      probers.forEach((p) => p.stop());
      // In-flight requests are bounded by the request budget; after that, stop waiting for idle clients.
      await closeServer(server, Math.max(config.requestTimeoutMs, 2 * config.attemptTimeoutMs) + 100);
      await Promise.all(upstreams.map((u) => u.close()));
    },
  };
}

/** The two replicas in order of preference: the primary whenever its breaker is closed. */
function createUpstreams(config: RouterConfig, allowList: ModelAllowList, onChange: (change: ReplicaStateChange) => void): readonly [Upstream, Upstream] {
  const { failureThreshold, slowThreshold, recoveryThreshold, flapWindowMs } = config;
  const thresholds = { failureThreshold, slowThreshold, recoveryThreshold, flapWindowMs };
  // A connection that takes longer than an attempt's deadline to set up is of no use to that attempt.
  const connectTimeoutMs = Math.max(config.attemptTimeoutMs, config.probeTimeoutMs);
  const upstream = (role: 'primary' | 'standby', url: string) =>
    new Upstream(new ReplicaState(role, url, thresholds, onChange), hedgeDelay(config), allowList, config.answerValidation, connectTimeoutMs);
  return [upstream('primary', config.primary), upstream('standby', config.standby)];
}

function hedgeDelay(config: RouterConfig): HedgeDelay {
  return new HedgeDelay({
    fixedMs: config.hedgeDelayMs,
    percentile: config.hedgePercentile,
    minMs: config.hedgeMinDelayMs,
    windowSize: config.hedgeWindowSize,
    initialMs: config.hedgeInitialDelayMs,
  });
}

/**
 * Learns the models the replicas start with before taking traffic (see ModelAllowList); a replica that is not
 * ready yet is learned at its first healthy probe.
 */
async function learnStartingModels(upstreams: readonly Upstream[], allowList: ModelAllowList, timeoutMs: number): Promise<void> {
  await Promise.all(
    upstreams.map(async (u) => {
      const readiness = await u.readiness(timeoutMs);
      if (readiness.ready) allowList.admit(u.role, readiness.sha256);
    }),
  );
}

function routerRoutes(config: RouterConfig, upstreams: readonly Upstream[], allowList: ModelAllowList, metrics: RouterMetrics): Routes {
  return {
    '/v1/rank': { POST: rankHandler(config, upstreams, metrics) },
    '/healthz': { GET: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/v1/routing': { GET: (_req, res) => sendJson(res, 200, routingOf(config, upstreams, allowList)) },
    '/metrics': { GET: (_req, res) => sendMetrics(res, metrics.registry) },
  };
}

/** The request listener: a handler's error, thrown or rejected, becomes the response. */
function dispatch(routes: Routes): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      handlerFor(routes, req)(req, res)?.catch((e: unknown) => sendFailure(res, e));
    } catch (e) {
      sendFailure(res, e);
    }
  };
}

function handlerFor(routes: Routes, req: IncomingMessage): Handler {
  const path = (req.url ?? '/').split('?', 1)[0]!;
  const methods = routes[path];
  if (!methods) throw new HttpError(404, 'not_found', `no route for ${req.method} ${path}`);
  const handler = methods[req.method ?? ''];
  if (!handler) throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
  return handler;
}

/**
 * POST /v1/rank, written with callbacks rather than promises: from the last byte of the client's body to
 * the upstream write, and from the replica's last byte to the client write, the gateway runs straight
 * through in one socket event, and counts metrics, breaker and hedge state after the answer is written.
 */
function rankHandler(config: RouterConfig, upstreams: readonly Upstream[], metrics: RouterMetrics): Handler {
  const { failover, panicRouting } = config;
  const { attemptTimeoutMs, requestTimeoutMs, hedging } = config;
  const routeOptions: RouteOptions = { attemptTimeoutMs, requestTimeoutMs, hedging, metrics, all: upstreams, panic: false };
  // One replica after the other, never hedged; the last one tried may take the rest of the request's budget.
  const panicOptions: RouteOptions = { ...routeOptions, hedging: false, panic: true };
  const primaryOnly = [upstreams[0]!];

  function route(res: ServerResponse, payload: Buffer, started: number): void {
    const candidateCount = candidateCountOfRequest(payload);
    const up = failover ? upstreams.filter((u) => u.state.isUp) : primaryOnly;
    // Without failover the primary is always the candidate: the negative control never panics.
    const panic = up.length === 0 && panicRouting;
    const candidates = panic ? upstreams.filter((u) => u.state.panicEligible) : up;
    routeRank(candidates, payload, candidateCount, panic ? panicOptions : routeOptions, started, (routed) => {
      try {
        respond(res, routed, panic);
      } catch (e) {
        res.destroy(e as Error);
      }
      const { answer } = routed;
      metrics.request(answer?.upstream.role ?? 'none', answer?.mode ?? 'none', answer?.result.status ?? 503, (performance.now() - started) / 1000);
    });
  }

  return (req, res) => {
    const started = performance.now();
    readRankBody(req, (error, payload) => {
      if (error) return sendFailure(res, error);
      try {
        route(res, payload!, started);
      } catch (e) {
        sendFailure(res, e);
      }
    });
  };
}

function respond(res: ServerResponse, routed: Routed, panic: boolean): void {
  if (routed.answer) {
    const { upstream, result, mode } = routed.answer;
    res.writeHead(result.status, [
      'content-type', result.contentType,
      'content-length', String(result.body.length),
      'x-served-by', upstream.role,
      'x-failover', mode,
      'x-attempts', String(routed.attempts),
    ]);
    res.end(result.body);
    return;
  }
  sendError(res, new HttpError(503, 'no_healthy_replica', noAnswerMessage(routed.failures, panic)), { 'x-attempts': String(routed.attempts) });
}

/** GET /v1/routing: the settings that shape routing and each replica's state. */
function routingOf(config: RouterConfig, upstreams: readonly Upstream[], allowList: ModelAllowList) {
  const preferred = upstreams.find((u) => u.state.isUp)?.role ?? null;
  return {
    failover: config.failover,
    panicRouting: config.panicRouting,
    hedging: config.hedging,
    preferred: config.failover ? preferred : 'primary',
    allowedSha256: allowList.list(),
    replicas: Object.fromEntries(upstreams.map((u) => [u.role, { ...u.state.snapshot(), hedgeDelayMs: u.hedgeDelay.delayMs() }])),
  };
}

function noAnswerMessage(failures: readonly string[], panic: boolean): string {
  const tried = failures.join('; ');
  if (!panic) return tried ? `no replica answered correctly: ${tried}` : 'every replica is marked down; readiness probes will bring one back';
  return tried
    ? `every replica is marked down, and panic routing got no correct answer from those down for failed requests: ${tried}`
    : 'every replica is marked down, and panic routing had none to try (it tries only replicas taken out by failed requests that a probe has found ready since); readiness probes will bring one back';
}

/** Answers an error thrown while handling a request: an HttpError as itself, anything else as a 500. */
function sendFailure(res: ServerResponse, e: unknown): void {
  if (res.headersSent) return void res.destroy();
  const error = isHttpError(e) ? e : new HttpError(500, 'internal', `the router failed: ${(e as Error).message}`);
  sendError(res, error);
}

/**
 * Reads a rank request body up to MAX_BODY_BYTES, refusing a larger one with 413 as the service does (see
 * readBody in common/http). With a content-length, the body is complete at its last byte: no wait for the
 * stream's end event, which comes a tick later.
 */
function readRankBody(req: IncomingMessage, done: (error: HttpError | Error | null, body?: Buffer) => void): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    req.resume();
    return done(new HttpError(413, 'body_too_large', `request body of ${declared} bytes exceeds the limit of ${MAX_BODY_BYTES} bytes`));
  }
  const expected = req.headers['content-length'] !== undefined && Number.isInteger(declared) ? declared : -1;
  let chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: HttpError | Error | null, body?: Buffer) => {
    if (finished) return;
    finished = true;
    chunks = [];
    done(error, body);
  };
  const complete = () => finish(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  if (expected === 0) return void (req.resume(), complete());
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      return finish(new HttpError(413, 'body_too_large', `request body exceeds the limit of ${MAX_BODY_BYTES} bytes`));
    }
    chunks.push(chunk);
    if (size === expected) complete();
  });
  req.on('end', complete);
  req.on('error', (e) => finish(e));
}
