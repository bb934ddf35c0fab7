import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INFERENCE_HEADER_CONTENT_LENGTH, MAX_BODY_BYTES } from '../common/contract';
import { gracefulClose, HttpError, isHttpError, listen, localUrl, sendError, sendJson, sendMetrics } from '../common/http';
import { gatewayServerTiming } from '../common/server-timing';
import { withDefaults } from '../common/settings';
import { HedgeDelay } from './hedge-delay';
import { type RouteOptions, routeRank, type Routed } from './hedged-failover';
import { RouterMetrics } from './metrics';
import { ModelAllowList } from './model-allow-list';
import { type RouterConfig, type RouterOptions, ROUTER_SETTINGS } from './options';
import { startProber } from './prober';
import { type RankCall, V2_INFER_PATH, v1RankCall, v2InferCall } from './rank-request';
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
/** The error shape of a path: /v1's `{error: {code, message}}`, or the v2 protocol's `{error: "<code>: <message>"}`. */
type ErrorShape = 'v1' | 'v2';

/** Model metadata and readiness, passed through to a replica: /v2/models/{name}[/versions/{version}][/ready]. */
const V2_MODEL_PATH = /^\/v2\/models\/[^/]+(?:\/versions\/[^/]+)?(?:\/ready)?$/;

export async function startRouter(opts: RouterOptions): Promise<StartedRouter> {
  const config: RouterConfig = withDefaults(ROUTER_SETTINGS, opts);
  const allowList = new ModelAllowList(config.allowedSha256);
  const upstreams = createUpstreams(config, allowList, opts.onStateChange ?? (() => {}));
  const metrics = new RouterMetrics(upstreams);
  const server = createServer({ noDelay: true, keepAlive: true }, dispatch(routerRoutes(config, upstreams, allowList, metrics)));
  const closeServer = gracefulClose(server);
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
      await closeServer(Math.max(config.requestTimeoutMs, 2 * config.attemptTimeoutMs) + 100);
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
    new Upstream(new ReplicaState(role, url, thresholds, onChange), hedgeDelay(config), allowList, config.answerValidation, connectTimeoutMs, config.readinessPath);
  return [upstream('primary', config.primary), upstream('standby', config.standby)];
}

function hedgeDelay(config: RouterConfig): HedgeDelay {
  return new HedgeDelay({
    fixedMs: config.hedgeDelayMs,
    percentile: config.hedgePercentile,
    minMs: config.hedgeMinDelayMs,
    maxMs: config.hedgeMaxDelayMs,
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
  const infer = rankHandler(config, upstreams, metrics, 'v2', (req, payload) => v2InferCall(pathOf(req), payload, {
    ...(req.headers['content-type'] === undefined ? {} : { contentType: req.headers['content-type'] }),
    ...(typeof req.headers[INFERENCE_HEADER_CONTENT_LENGTH] === 'string' ? { headerLength: req.headers[INFERENCE_HEADER_CONTENT_LENGTH] } : {}),
  }));
  const model = passThrough(config, upstreams);
  return {
    '/v1/rank': { POST: rankHandler(config, upstreams, metrics, 'v1', (_req, payload) => v1RankCall(payload)) },
    // Open Inference Protocol v2: infer with the same failover, hedging, breakers and panic routing as /v1/rank.
    [V2_INFER_PATH.source]: { POST: infer },
    [V2_MODEL_PATH.source]: { GET: model },
    '/v2/health/live': { GET: (_req, res) => sendJson(res, 200, { live: true }) },
    '/v2/health/ready': {
      GET: (_req, res) => {
        if (!upstreams.some((u) => u.state.isUp)) throw new HttpError(503, 'no_healthy_replica', 'every replica is marked down; readiness probes will bring one back');
        sendJson(res, 200, { ready: true });
      },
    },
    '/healthz': { GET: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/v1/routing': { GET: (_req, res) => sendJson(res, 200, routingOf(config, upstreams, allowList)) },
    '/metrics': { GET: (_req, res) => sendMetrics(res, metrics.registry) },
  };
}

/** The request listener: a handler's error, thrown or rejected, becomes the response, in the path's error shape. */
function dispatch(routes: Routes): (req: IncomingMessage, res: ServerResponse) => void {
  const patterns = Object.keys(routes).filter((key) => key.startsWith('^')).map((key) => [new RegExp(key), key] as const);
  return (req, res) => {
    const shape: ErrorShape = pathOf(req).startsWith('/v2/') ? 'v2' : 'v1';
    try {
      handlerFor(routes, patterns, req)(req, res)?.catch((e: unknown) => sendFailure(res, e, shape));
    } catch (e) {
      sendFailure(res, e, shape);
    }
  };
}

const pathOf = (req: IncomingMessage): string => (req.url ?? '/').split('?', 1)[0]!;

function handlerFor(routes: Routes, patterns: readonly (readonly [RegExp, string])[], req: IncomingMessage): Handler {
  const path = pathOf(req);
  const methods = routes[path] ?? routes[patterns.find(([pattern]) => pattern.test(path))?.[1] ?? ''];
  if (!methods) throw new HttpError(404, 'not_found', `no route for ${req.method} ${path}`);
  const handler = methods[req.method ?? ''];
  if (!handler) throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
  return handler;
}

/**
 * POST /v1/rank and v2 infer, written with callbacks rather than promises: from the last byte of the client's body
 * to the upstream write, and from the replica's last byte to the client write, the gateway runs straight
 * through in one socket event, and counts metrics, breaker and hedge state after the answer is written.
 */
function rankHandler(config: RouterConfig, upstreams: readonly Upstream[], metrics: RouterMetrics, shape: ErrorShape, callOf: (req: IncomingMessage, payload: Buffer) => RankCall): Handler {
  const { failover, panicRouting } = config;
  const { attemptTimeoutMs, requestTimeoutMs, hedging } = config;
  const routeOptions: RouteOptions = { attemptTimeoutMs, requestTimeoutMs, hedging, metrics, all: upstreams, panic: false };
  // One replica after the other, never hedged; the last one tried may take the rest of the request's budget.
  const panicOptions: RouteOptions = { ...routeOptions, hedging: false, panic: true };
  const primaryOnly = [upstreams[0]!];

  function route(res: ServerResponse, call: RankCall, started: number): void {
    const up = failover ? upstreams.filter((u) => u.state.isUp) : primaryOnly;
    // Without failover the primary is always the candidate: the negative control never panics.
    const panic = up.length === 0 && panicRouting;
    const candidates = panic ? upstreams.filter((u) => u.state.panicEligible) : up;
    routeRank(candidates, call, panic ? panicOptions : routeOptions, started, (routed) => {
      try {
        respond(res, routed, panic, shape, started);
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
      if (error) return sendFailure(res, error, shape);
      try {
        route(res, callOf(req, payload!), started);
      } catch (e) {
        sendFailure(res, e, shape);
      }
    });
  };
}

/**
 * Writes the answer, or the 503, with Server-Timing (see gatewayServerTiming), so a client can tell where a slow
 * answer's time went: its latency less `gateway` was spent outside the gateway.
 */
function respond(res: ServerResponse, routed: Routed, panic: boolean, shape: ErrorShape, started: number): void {
  if (routed.answer) {
    const { upstream, result, mode, attemptMs } = routed.answer;
    res.writeHead(result.status, [
      'content-type', result.contentType,
      'content-length', String(result.body.length),
      ...(result.headerLength === undefined ? [] : [INFERENCE_HEADER_CONTENT_LENGTH, result.headerLength]),
      'x-served-by', upstream.role,
      'x-failover', mode,
      'x-attempts', String(routed.attempts),
      'server-timing', gatewayServerTiming(performance.now() - started, attemptMs, result.replicaMs),
    ]);
    res.end(result.body);
    return;
  }
  const headers = { 'x-attempts': String(routed.attempts), 'server-timing': gatewayServerTiming(performance.now() - started) };
  sendShaped(res, new HttpError(503, 'no_healthy_replica', noAnswerMessage(routed.failures, panic)), shape, headers);
}

/**
 * GET of a v2 model's metadata or readiness: the first replica up answers it as is (its 404 for an unknown model
 * included), under one attempt's deadline. It carries no scores, so it is neither judged nor counted.
 */
function passThrough(config: RouterConfig, upstreams: readonly Upstream[]): Handler {
  return async (req, res) => {
    const upstream = upstreams.find((u) => u.state.isUp);
    if (!upstream) throw new HttpError(503, 'no_healthy_replica', 'every replica is marked down; readiness probes will bring one back');
    const reply = await upstream.get(pathOf(req), config.attemptTimeoutMs);
    if ('outcome' in reply) throw new HttpError(502, 'upstream_failed', `the ${upstream.role} did not answer GET ${pathOf(req)}: ${reply.message}`);
    res.writeHead(reply.status, ['content-type', reply.contentType, 'content-length', String(reply.body.length), 'x-served-by', upstream.role]);
    res.end(reply.body);
  };
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
function sendFailure(res: ServerResponse, e: unknown, shape: ErrorShape): void {
  if (res.headersSent) return void res.destroy();
  const error = isHttpError(e) ? e : new HttpError(500, 'internal', `the router failed: ${(e as Error).message}`);
  sendShaped(res, error, shape);
}

/** An error in the path's protocol: v2's sentence starts with our code, as the model server writes it. */
function sendShaped(res: ServerResponse, error: HttpError, shape: ErrorShape, headers: Record<string, string> = {}): void {
  if (shape === 'v1') return sendError(res, error, headers);
  sendJson(res, error.status, { error: `${error.code}: ${error.message}` }, headers);
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
