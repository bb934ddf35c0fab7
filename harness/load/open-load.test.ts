import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RequestRecord } from '../measure/records';
import { loadShortfall, prepareOpenLoad, runOpenLoad } from './open-load';
import { TWO_TOWER_IO } from '../../services/model/manifest';
import { v1Requests, type WireProtocol, type WireRequest } from './protocol';
import { makeJudge } from './reference';

const sent = (n: number, lag: (i: number) => number = () => 1): RequestRecord[] =>
  Array.from({ length: n }, (_, i) => ({ seq: i, request: 0, scheduledMs: 5 * i, sentMs: 5 * i + lag(i), doneMs: 5 * i + lag(i) + 2, status: 200 }));

it('accepts a load that went out on schedule', () => {
  expect(loadShortfall(sent(1000), 1000)).toBeUndefined();
  expect(loadShortfall(sent(1000, (i) => (i < 10 ? 150 : 1)), 1000)).toBeUndefined(); // 1% late is tolerated
});

it('refuses a load that was cut short or fell behind its schedule', () => {
  expect(loadShortfall(sent(900), 1000)).toBe('only 900 of 1000 scheduled requests were sent');
  expect(loadShortfall(sent(1000, (i) => (i < 11 ? 150 : 1)), 1000)).toMatch(/^11 of 1000 requests went out more than 100 ms after their slot/);
});

describe('runOpenLoad on its worker thread', () => {
  const SHA = 'a'.repeat(64);
  // Request i of the set is {"i":i}; the right answer to it has scores [i, i + 0.5]. One body per request sent,
  // so the server can tell which request arrived.
  const BODIES = Array.from({ length: 40 }, (_, i) => JSON.stringify({ i }));
  const judge = makeJudge([{ sha256: SHA, precision: 'fp32', scores: BODIES.map((_, i) => Float32Array.from([i, i + 0.5])) }]);
  let server: Server;
  let url: string;
  /** When request i arrived, on this (the main) thread's clock, from the t0 of the running load. */
  let arrivals = new Map<number, number>();
  let t0 = 0;

  beforeAll(async () => {
    // Bundling and starting a worker take a few hundred ms: done ahead, as the drill's load stage does.
    await prepareOpenLoad();
    server = createServer((req, res) => {
      const atMs = performance.now() - t0;
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { i } = JSON.parse(body) as { i: number };
        arrivals.set(i, atMs);
        // Request 3 is answered with the scores of another request: a wrong answer.
        const scores = i === 3 ? [0, 0.5] : [i, i + 0.5];
        res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': i % 2 ? 'standby' : 'primary', 'server-timing': `gateway;dur=${i}.5, upstream;dur=${i}, replica;dur=0.25` });
        res.end(JSON.stringify({ scores, ranking: [], model: { version: 'v1', sha256: SHA, precision: 'fp32' }, replica: { name: 'x', role: 'primary' } }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A worker's first load compiles undici's HTTP parser and its own code (tens of ms here); a drill warms up
    // the same way before it measures.
    await runOpenLoad({ url, rate: 100, durationMs: 300, timeoutMs: 1000, requests: v1Requests(BODIES), t0: performance.now() }, judge);
  });
  afterAll(() => new Promise((done) => server.close(done)));
  beforeEach(() => { arrivals = new Map(); });

  it('keeps the schedule, judges every answer and stamps times on the main thread clock', async () => {
    const live: RequestRecord[] = [];
    t0 = performance.now() + 300;
    const records = await runOpenLoad({ url, rate: 100, durationMs: 400, timeoutMs: 1000, requests: v1Requests(BODIES), t0, onRecord: (r) => live.push(r) }, judge);

    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(live).toHaveLength(40);
    for (const r of records) {
      expect(r.scheduledMs).toBe(r.seq * 10);
      expect(r).toMatchObject({ status: 200, servedBy: r.seq % 2 ? 'standby' : 'primary', wrong: r.request === 3, gatewayMs: r.request + 0.5, upstreamMs: r.request, replicaMs: 0.25 });
      // The server saw each request after the worker stamped it sent and before it stamped it done. A worker
      // clock with its own origin (the thread started after this one) would put the sends seconds off.
      const arrivedMs = arrivals.get(r.request) as number;
      expect(arrivedMs).toBeGreaterThanOrEqual(r.sentMs - 0.5);
      expect(arrivedMs).toBeLessThanOrEqual(r.doneMs + 0.5);
    }
    expect(Math.min(...records.map((r) => r.sentMs - r.scheduledMs))).toBeGreaterThanOrEqual(0);
  });

  it('sends on schedule while the main thread is busy', async () => {
    t0 = performance.now() + 200;
    const load = runOpenLoad({ url, rate: 100, durationMs: 600, timeoutMs: 2000, requests: v1Requests(BODIES), t0 }, judge);
    // The main thread blocked for 300 ms from 100 ms into the load, as a long synchronous call would block it.
    while (performance.now() < t0 + 100);
    while (performance.now() < t0 + 400);
    const records = await load;
    const during = records.filter((r) => r.scheduledMs >= 100 && r.scheduledMs < 400).map((r) => r.sentMs - r.scheduledMs).sort((a, b) => a - b);
    expect(during).toHaveLength(30);
    // On the main thread, the sends due then would have gone out when it was free again: 150 ms late at the median.
    expect(during[15]).toBeLessThan(50);
  });

  it('stops scheduling when aborted and still returns the requests it sent', async () => {
    const abort = new AbortController();
    t0 = performance.now() + 100;
    setTimeout(() => abort.abort(), 100 + 205);
    const records = await runOpenLoad({ url, rate: 100, durationMs: 2000, timeoutMs: 1000, requests: v1Requests(BODIES), t0, signal: abort.signal }, judge);
    // About 21 of the 200 scheduled were due when the abort came (later on a busy machine).
    expect(records.length).toBeGreaterThanOrEqual(18);
    expect(records.length).toBeLessThanOrEqual(60);
    expect(records.every((r) => r.status === 200)).toBe(true);
  });

  it('records a request with no answer within the timeout as client_timeout, and a reset connection as its error', async () => {
    const held: ServerResponse[] = [];
    const slow = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/hold') held.push(res);
        else req.socket.destroy();
      });
    });
    slow.listen(0, '127.0.0.1');
    await once(slow, 'listening');
    try {
      const requests = [{ path: '/hold', headers: {}, body: Buffer.from('{}') }, { path: '/reset', headers: {}, body: Buffer.from('{}') }];
      const records = await runOpenLoad({ url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`, rate: 100, durationMs: 20, timeoutMs: 150, requests, t0: performance.now() }, judge);
      expect(records.map((r) => [r.status, r.error])).toEqual([[0, 'client_timeout'], [0, expect.not.stringMatching(/^client_timeout$/)]]);
      expect(records[0]!.doneMs - records[0]!.sentMs).toBeGreaterThanOrEqual(145);
    } finally {
      for (const res of held) res.destroy();
      await new Promise((done) => slow.close(done));
    }
  });

  it('fails with the reason when the worker cannot run its plan', async () => {
    await expect(runOpenLoad({ url: 'not a url', rate: 10, durationMs: 100, timeoutMs: 100, requests: v1Requests(BODIES), t0: performance.now() }, judge))
      .rejects.toThrow(/^the load generator's worker thread failed: .*Invalid URL/);
    // The next load still runs.
    t0 = performance.now() + 300;
    await expect(runOpenLoad({ url, rate: 100, durationMs: 100, timeoutMs: 1000, requests: v1Requests(BODIES), t0 }, judge)).resolves.toHaveLength(10);
  });
});

describe('runOpenLoad on OIP v2', () => {
  const SHA = 'b'.repeat(64);
  const protocol: WireProtocol = { name: 'oip-v2', encoding: 'binary', model: 'ranker', io: TWO_TOWER_IO };
  // Request i sends {"i":i} to the v2 infer path with its own header length; the right answer has scores [i, i + 0.5].
  const requests: WireRequest[] = Array.from({ length: 20 }, (_, i) => {
    const body = Buffer.from(JSON.stringify({ i }));
    return { path: '/v2/models/ranker/infer', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(body.length) }, body };
  });
  const judge = makeJudge([{ sha256: SHA, precision: 'fp32', scores: requests.map((_, i) => Float32Array.from([i, i + 0.5])) }], protocol);
  let server: Server;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push(`${req.url} ${req.headers['inference-header-content-length']}`);
        const { i } = JSON.parse(Buffer.concat(chunks).toString()) as { i: number };
        // Request 3 gets another request's scores, request 5 a NaN: both wrong answers.
        const scores = Float32Array.from(i === 3 ? [0, 0.5] : i === 5 ? [Number.NaN, 5.5] : [i, i + 0.5]);
        const json = JSON.stringify({ model_name: 'ranker', model_version: '1', parameters: { model_sha256: SHA }, outputs: [{ name: 'scores', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } }] });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': Buffer.byteLength(json) });
        res.end(Buffer.concat([Buffer.from(json), Buffer.from(scores.buffer)]));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('sends each request to its path with its headers, and the worker judges binary answers', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const records = await runOpenLoad({ url, rate: 100, durationMs: 200, timeoutMs: 1000, requests, t0: performance.now() + 50 }, judge);
    expect(records).toHaveLength(20);
    expect(records.filter((r) => r.wrong).map((r) => r.request)).toEqual([3, 5]);
    expect(records.every((r) => r.status === 200 && r.wrong !== undefined)).toBe(true);
    expect(seen[7]).toBe(`/v2/models/ranker/infer ${requests[7]!.body.length}`);
  });
});
