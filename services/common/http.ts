import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { ErrorBody } from './contract';

/** An error that becomes an HTTP response `{error:{code,message,path?}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.path ? { path: this.path } : {}) } };
  }
}

export function isHttpError(e: unknown): e is HttpError {
  return e instanceof HttpError;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** sendJson for a body already serialized. */
export function sendJsonText(res: ServerResponse, status: number, payload: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, error.body(), headers);
}

/** Reads a request body up to `limit` bytes; a larger body is refused with 413 without buffering it. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new HttpError(413, 'body_too_large', `request body of ${declared} bytes exceeds the limit of ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, 'body_too_large', `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parses JSON, turning a syntax error into a 400 that says so. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, 'invalid_json', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** GET /metrics: the registry in Prometheus text format. */
export async function sendMetrics(res: ServerResponse, registry: Registry): Promise<void> {
  const text = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Binds `server`; `what` names the service in the error, e.g. "the router could not listen on 0.0.0.0:8080: …". */
export function listen(server: Server, port: number, host: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const refuse = (e: Error) => reject(new Error(`${what} could not listen on ${host}:${port}: ${e.message}`, { cause: e }));
    server.once('error', refuse);
    server.listen(port, host, () => {
      server.off('error', refuse);
      resolve();
    });
  });
}

/** The URL a local client dials for a server bound to `host` (a wildcard bind is reachable on loopback). */
export function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') return `http://127.0.0.1:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Graceful close for `server`, to be called once it is created: the returned function stops accepting
 * connections, lets the requests in flight finish and ends every keep-alive connection with its last answer, cutting
 * the connections left after `graceMs`.
 *
 * Answers not yet under way when closing begins, and those to requests that arrive after, say Connection: close. A
 * busy client (a gateway) sends its next request on a connection as soon as an answer arrives, so such a connection
 * was seldom idle when closeIdleConnections() ran, and held shutdown until the grace period cut it: a primary took
 * 2 s to exit in primary-restart. An answer already under way (a weights download) cannot say so; its connection is
 * closed once idle after it.
 */
export function gracefulClose(server: Server): (graceMs: number) => Promise<void> {
  const inFlight = new Set<ServerResponse>();
  // Connections that have not carried a request: Node counts them busy, not idle, so closeIdleConnections() left
  // them and close() waited for them. A gateway (or Toxiproxy in front of a replica) opens such connections ahead of
  // use: 3 of 6 primaries beside a busy process still took the whole grace to exit, with 7-22 of them open.
  const unused = new Set<Socket>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    unused.delete(req.socket);
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  return async (graceMs) => {
    closing = true;
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
    for (const socket of unused) socket.destroy();
    const cutoff = setTimeout(() => server.closeAllConnections(), graceMs);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(cutoff);
  };
}
