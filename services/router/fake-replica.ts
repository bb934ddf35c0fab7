// Test double for an inference replica: a real node:http server on loopback whose behaviour a test switches.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RankRequest, Role } from '../common/contract';
import { rankingOf } from '../common/contract';

export type RankBehaviour = (req: RankRequest, res: ServerResponse) => void;
/** How the fake answers a v2 infer request with `candidates` candidates (the leading dimension of its inputs). */
export type InferBehaviour = (candidates: number, res: ServerResponse) => void;

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
  /** POST /v2/models/{name}/infer: by default a valid answer with binary outputs. */
  inferBehaviour: InferBehaviour;
  /** Requests to a v2 path received (GET metadata, POST infer), with the Inference-Header-Content-Length they came with. */
  v2Requests: { method: string; path: string; headerLength: string | undefined }[];
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
    inferBehaviour: (candidates, res) => inferAnswer(res, { scores: scoresForCount(candidates), sha256: replica.sha256 }),
    v2Requests: [],
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
    if (req.url?.startsWith('/v2/')) {
      const headerLength = req.headers['inference-header-content-length'] as string | undefined;
      replica.v2Requests.push({ method: req.method ?? '', path: req.url, headerLength });
      if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: FAKE_MODEL_NAME }));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const json = JSON.parse(body.subarray(0, headerLength === undefined ? body.length : Number(headerLength)).toString()) as { inputs: { shape: number[] }[] };
        replica.inferBehaviour(Math.max(...json.inputs.map((i) => i.shape[0]!)), res);
      });
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

export const scoresForCount = (candidates: number): number[] => Array.from({ length: candidates }, (_, i) => (i + 1) / 1000);

/** A v2 infer answer with binary outputs (scores and ranking) as the reference server writes it; `model` names another model. */
export function inferAnswer(res: ServerResponse, answer: { scores: number[]; sha256: string; model?: string }): void {
  const scores = Float32Array.from(answer.scores);
  const ranking = Int32Array.from(rankingOf(scores));
  const json = JSON.stringify({
    model_name: answer.model ?? FAKE_MODEL_NAME,
    model_version: 'v1',
    parameters: { model_sha256: answer.sha256, model_precision: 'fp32' },
    outputs: [
      { name: 'scores', datatype: 'FP32', shape: [scores.length], parameters: { binary_data_size: scores.byteLength } },
      { name: 'ranking', datatype: 'INT32', shape: [ranking.length], parameters: { binary_data_size: ranking.byteLength } },
    ],
  });
  const body = Buffer.concat([Buffer.from(json), Buffer.from(scores.buffer), Buffer.from(ranking.buffer)]);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'inference-header-content-length': Buffer.byteLength(json) }).end(body);
}

export const FAKE_MODEL_NAME = 'two-tower-ranker';

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
