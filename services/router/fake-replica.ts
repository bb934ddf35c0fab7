// Test double for an inference replica: a real node:http server on loopback whose behaviour a test switches.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RankRequest, Role } from '../common/contract';
import { rankingOf } from '../common/contract';

export type RankBehaviour = (req: RankRequest, res: ServerResponse) => void;

export interface FakeReplica {
  url: string;
  /** POST /v1/rank requests received. */
  rankRequests: number;
  /** GET /readyz requests received. */
  readyzRequests: number;
  /** POST /v1/rank requests whose client went away before the answer was complete (e.g. a cancelled hedge). */
  abandonedRequests: number;
  /** Body bytes of the last successful answer, to check the gateway passes them through unchanged. */
  lastAnswer: Buffer | null;
  behaviour: RankBehaviour;
  /** The behaviour a replica starts with: a valid answer for the request. */
  readonly answersCorrectly: RankBehaviour;
  ready: boolean;
  /** Delay before GET /readyz answers, with the readiness the replica had when it was asked. */
  readyzDelayMs: number;
  /** The model sha256 the replica reports on GET /readyz and in its answers. */
  sha256: string;
  close(): Promise<void>;
}

export const FAKE_MODEL_SHA256 = 'ab'.repeat(32);

export function scoresFor(req: RankRequest): number[] {
  return req.candidates.map((c) => c.itemId / 1000);
}

export async function startFakeReplica(role: Role): Promise<FakeReplica> {
  const correct = answersCorrectly(role);
  const replica: FakeReplica = {
    url: '',
    rankRequests: 0,
    readyzRequests: 0,
    abandonedRequests: 0,
    lastAnswer: null,
    behaviour: correct,
    answersCorrectly: correct,
    ready: true,
    readyzDelayMs: 0,
    sha256: FAKE_MODEL_SHA256,
    close: async () => {},
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/readyz') {
      replica.readyzRequests += 1;
      const { ready } = replica;
      const body = ready
        ? { status: 'ready', model: { name: 'fake', version: 'v1', sha256: replica.sha256, precision: 'fp32' } }
        : { error: { code: 'not_ready', message: 'the fake replica is told it is not ready' } };
      const answer = () => res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (replica.readyzDelayMs > 0) setTimeout(answer, replica.readyzDelayMs).unref();
      else answer();
      return;
    }
    replica.rankRequests += 1;
    res.on('close', () => {
      if (!res.writableFinished) replica.abandonedRequests += 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => replica.behaviour(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RankRequest, res));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  replica.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  replica.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };

  function answersCorrectly(replicaRole: Role): RankBehaviour {
    return (req, res) => {
      const scores = scoresFor(req);
      const body = Buffer.from(
        JSON.stringify({
          scores,
          ranking: rankingOf(scores),
          model: { version: 'v1', sha256: replica.sha256, precision: 'fp32' },
          replica: { name: `fake-${replicaRole}`, role: replicaRole },
        }),
      );
      replica.lastAnswer = body;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
    };
  }
  return replica;
}

/** Answers with a fixed status and raw body text. */
export function answers(status: number, body: string): RankBehaviour {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  };
}

/** Starts a 200 answer, then resets the connection halfway through the body. */
export const resetsMidResponse: RankBehaviour = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
  res.write('{"scores":[0.1,');
  setTimeout(() => res.socket?.resetAndDestroy(), 5);
};

/** Answers like `behaviour` after `ms` milliseconds (an overloaded or throttled replica). */
export function delayed(ms: number, behaviour: RankBehaviour): RankBehaviour {
  return (req, res) => {
    setTimeout(() => behaviour(req, res), ms);
  };
}

/** Never answers (a frozen process). */
export const hangs: RankBehaviour = () => {};

/** An origin on which nothing listens: connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
