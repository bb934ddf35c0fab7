import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../common/contract';
import { HttpError, isHttpError, parseJson, readBody, sendError, sendJson } from '../common/http';
import { startProber } from './prober';
import { candidateCountOf } from './rank-answer';
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
  /** How often a replica marked down is asked for GET /readyz. */
  probeIntervalMs?: number;
  /** Consecutive 5xx / invalid answers that mark a replica down; connection failures and timeouts do at once. */
  failureThreshold?: number;
  /** Consecutive healthy probes before a down replica takes traffic again. */
  recoveryThreshold?: number;
  /** Called on every up/down transition, e.g. to log it. */
  onStateChange?: (change: ReplicaStateChange) => void;
}

export const ROUTER_DEFAULTS = {
  host: '0.0.0.0',
  attemptTimeoutMs: 250,
  failover: true,
  probeIntervalMs: 200,
  failureThreshold: 3,
  recoveryThreshold: 3,
} as const;

export interface StartedRouter {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** How the answer was obtained: first choice, a retry within the request, or skipping a replica marked down. */
type FailoverMode = 'none' | 'retry' | 'breaker';

export async function startRouter(opts: RouterOptions): Promise<StartedRouter> {
  const config = {
    primary: opts.primary,
    standby: opts.standby,
    port: opts.port,
    host: opts.host ?? ROUTER_DEFAULTS.host,
    attemptTimeoutMs: opts.attemptTimeoutMs ?? ROUTER_DEFAULTS.attemptTimeoutMs,
    failover: opts.failover ?? ROUTER_DEFAULTS.failover,
    probeIntervalMs: opts.probeIntervalMs ?? ROUTER_DEFAULTS.probeIntervalMs,
    failureThreshold: opts.failureThreshold ?? ROUTER_DEFAULTS.failureThreshold,
    recoveryThreshold: opts.recoveryThreshold ?? ROUTER_DEFAULTS.recoveryThreshold,
  };
  const onChange = opts.onStateChange ?? (() => {});
  const thresholds = { failureThreshold: config.failureThreshold, recoveryThreshold: config.recoveryThreshold };
  // Order is preference: the primary whenever it is up.
  const upstreams = [
    new Upstream(new ReplicaState('primary', config.primary, thresholds, onChange)),
    new Upstream(new ReplicaState('standby', config.standby, thresholds, onChange)),
  ] as const;

  const candidatesFor = (): Upstream[] => (config.failover ? upstreams.filter((u) => u.state.isUp) : [upstreams[0]]);

  async function rank(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const payload = await readBody(req, MAX_BODY_BYTES);
    const candidateCount = candidateCountOf(parseJson(payload));
    const candidates = candidatesFor();
    const failures: string[] = [];
    for (const [index, upstream] of candidates.entries()) {
      const result = await upstream.rank(payload, candidateCount, config.attemptTimeoutMs);
      if (result.outcome === 'answer') {
        const mode: FailoverMode = index > 0 ? 'retry' : upstream.role === 'primary' ? 'none' : 'breaker';
        res.writeHead(result.status, {
          'content-type': result.contentType,
          'content-length': result.body.length,
          'x-served-by': upstream.role,
          'x-failover': mode,
          'x-attempts': String(index + 1),
        });
        res.end(result.body);
        return;
      }
      failures.push(`${upstream.role} (${result.kind}): ${result.message}`);
    }
    const message =
      failures.length === 0
        ? 'every replica is marked down; readiness probes will bring one back'
        : `no replica answered correctly: ${failures.join('; ')}`;
    sendError(res, new HttpError(503, 'no_healthy_replica', message), { 'x-attempts': String(failures.length) });
  }

  function routing() {
    const preferred = upstreams.find((u) => u.state.isUp)?.role ?? null;
    return {
      failover: config.failover,
      preferred: config.failover ? preferred : 'primary',
      replicas: Object.fromEntries(upstreams.map((u) => [u.role, u.state.snapshot()])),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const route = `${req.method} ${path}`;
    if (route === 'POST /v1/rank') return rank(req, res);
    if (route === 'GET /healthz') return sendJson(res, 200, { status: 'ok' });
    if (route === 'GET /v1/routing') return sendJson(res, 200, routing());
    if (path === '/v1/rank' || path === '/healthz' || path === '/v1/routing') {
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
    }
    throw new HttpError(404, 'not_found', `no route for ${req.method} ${path}`);
  }

  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      const error = isHttpError(e) ? e : new HttpError(500, 'internal', `the router failed: ${(e as Error).message}`);
      sendError(res, error);
    });
  });
  try {
    await listen(server, config.port, config.host);
  } catch (e) {
    await Promise.all(upstreams.map((u) => u.close()));
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  const probers = upstreams.map((u) => startProber(u, config.probeIntervalMs, config.attemptTimeoutMs));

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
