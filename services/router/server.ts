import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../common/contract';
import { HttpError, isHttpError, sendError, sendJson } from '../common/http';
import { HedgeDelay } from './hedge-delay';
import { routeRank, type Routed } from './hedged-failover';
import { RouterMetrics } from './metrics';
import { ModelAllowList } from './model-allow-list';
import { startProber } from './prober';
import { candidateCountOfRequest } from './rank-request';
import { ReplicaState, type ReplicaStateChange } from './replica-state';
import { Upstream } from './upstream';

export interface RouterOptions {
  /** Origin of the primary replica, e.g. http://toxiproxy:20000. */
  primary: string;
  /** Origin of the standby replica. */
  standby: string;
  port: number;
  host?: string;
  /** Deadline for one attempt against one replica: connect, headers and whole body. */
  attemptTimeoutMs?: number;
  /** false forwards to the primary only: the negative control a drill compares against. */
  failover?: boolean;
  /**
   * With every breaker open, try the replicas that failed client requests alone took out (panic routing, as in
   * Envoy) before answering 503: after a stall of the gateway itself, all of them may be down while healthy.
   * Only those a readiness probe has found ready since, never one that says it is not ready or answered wrongly
   * (see ReplicaState.panicEligible). Default true.
   */
  panicRouting?: boolean;
  /**
   * How often a replica whose breaker is open (or whose model is not yet known) is asked for GET /readyz: a
   * fixed cadence, so a probe stuck until its timeout does not hold back the next one (see Prober).
   */
  probeIntervalMs?: number;
  /** How often a replica that takes traffic is asked for GET /readyz; one that says it is not ready is skipped. */
  healthyProbeIntervalMs?: number;
  /** Deadline for one GET /readyz probe: short, since a probe stuck on a dead connection delays fail-back. */
  probeTimeoutMs?: number;
  /** Consecutive 5xx / invalid / wrong-model answers that open a breaker; connection failures and timeouts do at once (a timeout only while another replica is up). */
  failureThreshold?: number;
  /** Consecutive lost hedges (the other replica answered first) that open a breaker. */
  slowThreshold?: number;
  /** Consecutive healthy probes before a replica with an open breaker takes traffic again. */
  recoveryThreshold?: number;
  /** A replica failing again within this many ms of recovering needs twice the healthy probes next time (up to 8x). */
  flapWindowMs?: number;
  /** false never hedges: the second replica is tried only after the first fails. */
  hedging?: boolean;
  /** A fixed hedge delay in ms, instead of the adaptive one. */
  hedgeDelayMs?: number;
  /** Percentile of the first replica's recent answer latencies after which the adaptive hedge fires. */
  hedgePercentile?: number;
  /** Lower bound of the adaptive hedge delay, ms. */
  hedgeMinDelayMs?: number;
  /** Answer latencies per replica the adaptive hedge delay is computed over. */
  hedgeWindowSize?: number;
  /** Hedge delay, ms, until a replica has 10 sampled answers. */
  hedgeInitialDelayMs?: number;
  /** Model sha256 values answers may claim; by default learned from each replica's GET /readyz (see ModelAllowList). */
  allowedSha256?: readonly string[];
  /** false: pass any 2xx answer on without checking its body or model (negative control only). Default true. */
  answerValidation?: boolean;
  /** Called on every breaker transition, e.g. to log it. */
  onStateChange?: (change: ReplicaStateChange) => void;
}

export const ROUTER_DEFAULTS = {
  host: '0.0.0.0',
  attemptTimeoutMs: 250,
  failover: true,
  panicRouting: true,
  probeIntervalMs: 50,
  probeTimeoutMs: 100,
  healthyProbeIntervalMs: 1000,
  failureThreshold: 3,
  slowThreshold: 10,
  recoveryThreshold: 3,
  flapWindowMs: 5000,
  hedging: true,
  hedgePercentile: 95,
  hedgeMinDelayMs: 2,
  hedgeWindowSize: 500,
  hedgeInitialDelayMs: 100,
} as const;

export interface StartedRouter {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startRouter(opts: RouterOptions): Promise<StartedRouter> {
  const config = {
    host: opts.host ?? ROUTER_DEFAULTS.host,
    attemptTimeoutMs: opts.attemptTimeoutMs ?? ROUTER_DEFAULTS.attemptTimeoutMs,
    failover: opts.failover ?? ROUTER_DEFAULTS.failover,
    panicRouting: opts.panicRouting ?? ROUTER_DEFAULTS.panicRouting,
    probeIntervalMs: opts.probeIntervalMs ?? ROUTER_DEFAULTS.probeIntervalMs,
    hedging: opts.hedging ?? ROUTER_DEFAULTS.hedging,
  };
  const probeTimeoutMs = opts.probeTimeoutMs ?? ROUTER_DEFAULTS.probeTimeoutMs;
  const onChange = opts.onStateChange ?? (() => {});
  const thresholds = {
    failureThreshold: opts.failureThreshold ?? ROUTER_DEFAULTS.failureThreshold,
    slowThreshold: opts.slowThreshold ?? ROUTER_DEFAULTS.slowThreshold,
    recoveryThreshold: opts.recoveryThreshold ?? ROUTER_DEFAULTS.recoveryThreshold,
    flapWindowMs: opts.flapWindowMs ?? ROUTER_DEFAULTS.flapWindowMs,
  };
  const hedgeDelay = () =>
    new HedgeDelay({
      fixedMs: opts.hedgeDelayMs,
      percentile: opts.hedgePercentile ?? ROUTER_DEFAULTS.hedgePercentile,
      minMs: opts.hedgeMinDelayMs ?? ROUTER_DEFAULTS.hedgeMinDelayMs,
      windowSize: opts.hedgeWindowSize ?? ROUTER_DEFAULTS.hedgeWindowSize,
      initialMs: opts.hedgeInitialDelayMs ?? ROUTER_DEFAULTS.hedgeInitialDelayMs,
    });
  const allowList = new ModelAllowList(opts.allowedSha256);
  // A connection that takes longer than an attempt's deadline to set up is of no use to that attempt.
  const connectTimeoutMs = Math.max(config.attemptTimeoutMs, probeTimeoutMs);
  const upstream = (role: 'primary' | 'standby', url: string) =>
    new Upstream(new ReplicaState(role, url, thresholds, onChange), hedgeDelay(), allowList, opts.answerValidation ?? true, connectTimeoutMs);
  // Order is preference: the primary whenever its breaker is closed.
  const upstreams = [upstream('primary', opts.primary), upstream('standby', opts.standby)] as const;
  const metrics = new RouterMetrics(upstreams);

  const candidatesFor = (): Upstream[] => (config.failover ? upstreams.filter((u) => u.state.isUp) : [upstreams[0]]);

  const routeOptions = { ...config, metrics, all: upstreams, panic: false };
  // One replica after the other, never hedged: a 503 after panic costs at most one attempt deadline per replica.
  const panicOptions = { ...routeOptions, hedging: false, panic: true };

  /**
   * POST /v1/rank, written with callbacks rather than promises: from the last byte of the client's body to
   * the upstream write, and from the replica's last byte to the client write, the gateway runs straight
   * through in one socket event, and counts metrics, breaker and hedge state after the answer is written.
   */
  function rank(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    readRankBody(req, (error, payload) => {
      if (error) return sendFailure(res, error);
      try {
        const candidateCount = candidateCountOfRequest(payload!);
        const up = candidatesFor();
        // Without failover the primary is always the candidate: the negative control never panics.
        const panic = up.length === 0 && config.panicRouting;
        const candidates = panic ? upstreams.filter((u) => u.state.panicEligible) : up;
        routeRank(candidates, payload!, candidateCount, panic ? panicOptions : routeOptions, (routed) => {
          try {
            respond(res, routed, panic);
          } catch (e) {
            res.destroy(e as Error);
          }
          const { answer } = routed;
          metrics.request(answer?.upstream.role ?? 'none', answer?.mode ?? 'none', answer?.result.status ?? 503, (performance.now() - started) / 1000);
        });
      } catch (e) {
        sendFailure(res, e);
      }
    });
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

  function routing() {
    const preferred = upstreams.find((u) => u.state.isUp)?.role ?? null;
    return {
      failover: config.failover,
      panicRouting: config.panicRouting,
      hedging: config.hedging,
      preferred: config.failover ? preferred : 'primary',
      allowedSha256: allowList.list(),
      replicas: Object.fromEntries(
        upstreams.map((u) => [u.role, { ...u.state.snapshot(), hedgeDelayMs: u.hedgeDelay.delayMs() }]),
      ),
    };
  }

  async function sendMetrics(res: ServerResponse): Promise<void> {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  const routes: Record<string, Partial<Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>>>> = {
    '/v1/rank': { POST: rank },
    '/healthz': { GET: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    '/v1/routing': { GET: (_req, res) => sendJson(res, 200, routing()) },
    '/metrics': { GET: (_req, res) => sendMetrics(res) },
  };

  function handle(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const methods = routes[path];
    if (!methods) throw new HttpError(404, 'not_found', `no route for ${req.method} ${path}`);
    const handler = methods[req.method ?? ''];
    if (!handler) throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
    return handler(req, res);
  }

  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    try {
      handle(req, res)?.catch((e: unknown) => sendFailure(res, e));
    } catch (e) {
      sendFailure(res, e);
    }
  });
  // Learn the models the replicas start with before taking traffic (see ModelAllowList); a replica that is not
  // ready yet is learned at its first healthy probe.
  await Promise.all(
    upstreams.map(async (u) => {
      const readiness = await u.readiness(probeTimeoutMs);
      if (readiness.ready) allowList.admit(u.role, readiness.sha256);
    }),
  );
  try {
    await listen(server, opts.port, config.host);
  } catch (e) {
    await Promise.all(upstreams.map((u) => u.close()));
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  const schedule = {
    intervalMs: config.probeIntervalMs,
    healthyIntervalMs: opts.healthyProbeIntervalMs ?? ROUTER_DEFAULTS.healthyProbeIntervalMs,
    timeoutMs: probeTimeoutMs,
  };
  const probers = upstreams.map((u) => startProber(u, allowList, schedule));

  return {
    url: `http://${clientHost(config.host)}:${port}`,
    port,
    async close() {
      probers.forEach((p) => p.stop());
      // In-flight requests are bounded by two attempt deadlines; after that, stop waiting for idle clients.
      const force = setTimeout(() => server.closeAllConnections(), 2 * config.attemptTimeoutMs + 100);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(force);
      await Promise.all(upstreams.map((u) => u.close()));
    },
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

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`the router could not listen on ${host}:${port}: ${e.message}`, { cause: e })));
    server.listen(port, host, () => resolve());
  });
}

/** The address a local client dials for a bind address (a wildcard bind is reachable on loopback). */
function clientHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
