// The real k6 binary (installed by `npm run setup`) against a stand-in gateway on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RequestRecord } from '../measure/records';
import { installedK6, K6_START_LEAD_MS, runK6Load } from './k6-driver';
import { loadShortfall } from './open-load';
import { TWO_TOWER_IO } from '../../services/model/manifest';
import { v1Requests, type WireProtocol, type WireRequest } from './protocol';
import { makeJudge } from './reference';

const RATE = 100;
const DURATION_MS = 1000;
const BODIES = Array.from({ length: 8 }, (_, userId) => JSON.stringify({ userId, userFeatures: [], candidates: [] }));
const scoresFor = (userId: number): number[] => [userId / 10, 1 - userId / 10];
/** Every 10th request the stand-in refuses like a gateway with no replica; user 3 always gets a wrong answer. */
const judge = makeJudge([{ sha256: 'stub', precision: 'fp32', scores: BODIES.map((_, u) => Float32Array.from(scoresFor(u))) }]);

/** Also answers GET /healthz, and counts the connections opened before and after the first POST. */
function standInGateway(): Promise<{ server: Server; url: string; received: () => number; healthGets: () => number; connections: () => { beforeFirstPost: number; total: number } }> {
  let received = 0;
  let healthGets = 0;
  let connections = 0;
  let beforeFirstPost: number | undefined;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      healthGets++;
      return void res.end('{"status":"ok"}');
    }
    beforeFirstPost ??= connections;
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const n = received++;
      const { userId } = JSON.parse(body) as { userId: number };
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-served-by', n % 2 ? 'standby' : 'primary');
      res.setHeader('x-failover', n % 2 ? 'retry' : 'none');
      res.setHeader('server-timing', `gateway;dur=${n}.25`);
      if (n % 10 === 9) {
        res.writeHead(503).end(JSON.stringify({ error: { code: 'no_healthy_replica', message: 'neither replica answered' } }));
        return;
      }
      const scores = userId === 3 ? [9, 9] : scoresFor(userId);
      res.end(JSON.stringify({ scores, ranking: [0, 1], model: { version: 'v', sha256: 'stub', precision: 'fp32' }, replica: { name: 'r', role: 'primary' } }));
    });
  });
  server.on('connection', () => connections++);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({
      server,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      received: () => received,
      healthGets: () => healthGets,
      connections: () => ({ beforeFirstPost: beforeFirstPost ?? connections, total: connections }),
    });
  }));
}

it(`k6 sends ${RATE} req/s for ${DURATION_MS} ms on schedule and every request becomes a complete record`, async () => {
  // Throws "run `npm run setup`" when k6 is not installed: this test must not pass without the real binary.
  const k6 = installedK6();
  const gateway = await standInGateway();
  try {
    const live: RequestRecord[] = [];
    const t0 = performance.now() + K6_START_LEAD_MS;
    const records = await runK6Load({ url: gateway.url, rate: RATE, durationMs: DURATION_MS, timeoutMs: 1000, requests: v1Requests(BODIES), t0, warmPath: '/healthz', onRecord: (r) => live.push(r) }, judge, k6);

    expect(records).toHaveLength((RATE * DURATION_MS) / 1000);
    expect(gateway.received()).toBe(records.length);
    // Every VU (rate x timeout + 1 = 101) opened its connection with one GET of the warm path before the schedule
    // began, and the scheduled requests went out on those: no connection was opened after the first of them.
    expect(gateway.healthGets()).toBe(101);
    expect(gateway.connections()).toEqual({ beforeFirstPost: 101, total: 101 });
    expect(live).toHaveLength(records.length);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    // k6's schedule starts when it starts the scenario, a moment after t0 (once setup() has waited t0 out).
    const start = records[0]!.scheduledMs;
    expect(start).toBeGreaterThanOrEqual(-1);
    expect(start).toBeLessThan(K6_START_LEAD_MS);
    for (const r of records) {
      expect(r.request).toBe(r.seq % BODIES.length);
      expect(r.scheduledMs - start).toBeCloseTo(r.seq * 10, 6);
      // On the harness clock: sent in its slot (Date.now() has 1 ms steps), answered after it was sent.
      expect(r.sentMs).toBeGreaterThan(r.scheduledMs - 1.5);
      expect(r.doneMs).toBeGreaterThan(r.sentMs);
      expect(r.doneMs - r.sentMs).toBeLessThan(1000);
      expect(r.servedBy).toMatch(/^(primary|standby)$/);
      expect(r.failover).toMatch(/^(none|retry)$/);
      expect(Number.isInteger(r.gatewayMs! - 0.25)).toBe(true); // k6 passed the header on
    }
    // The runner's own acceptance of a load (no request missing, at most 1% late) holds for k6's.
    expect(loadShortfall(records, (RATE * DURATION_MS) / 1000)).toBeUndefined();
    expect(new Set(records.map((r) => r.status))).toEqual(new Set([200, 503]));
    expect(records.filter((r) => r.status === 503).every((r) => r.error === 'no_healthy_replica')).toBe(true);
    const answered = records.filter((r) => r.status === 200);
    expect(answered.filter((r) => r.wrong).map((r) => r.request)).toEqual(answered.filter((r) => r.request === 3).map(() => 3));
    expect(answered.filter((r) => !r.wrong).every((r) => (r.maxAbsDelta ?? Infinity) < 1e-6)).toBe(true);
  } finally {
    gateway.server.close();
  }
}, 30_000);

it('k6 sends OIP v2 binary requests to their path with their headers, and binary answers are judged', async () => {
  const k6 = installedK6();
  const sha256 = 'c'.repeat(64);
  const protocol: WireProtocol = { name: 'oip-v2', encoding: 'binary', model: 'ranker', io: TWO_TOWER_IO };
  // Request u is {"userId":u} followed by 4 binary bytes; user 3's answer has a NaN score.
  const requests: WireRequest[] = BODIES.map((_, userId) => {
    const json = Buffer.from(JSON.stringify({ userId }));
    return { path: '/v2/models/ranker/infer', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) }, body: Buffer.concat([json, Buffer.from([1, 2, 3, 4])]) };
  });
  const v2Judge = makeJudge([{ sha256, precision: 'fp32', scores: BODIES.map((_, u) => Float32Array.from(scoresFor(u))) }], protocol);
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headerLength = Number(req.headers['inference-header-content-length']);
      seen.add(`${req.url} ${body.length - headerLength}`);
      const { userId } = JSON.parse(body.subarray(0, headerLength).toString()) as { userId: number };
      const scores = Float32Array.from(userId === 3 ? [Number.NaN, 0] : scoresFor(userId));
      const json = JSON.stringify({ model_name: 'ranker', model_version: '1', parameters: { model_sha256: sha256 }, outputs: [{ name: 'scores', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } }] });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': Buffer.byteLength(json), 'x-served-by': 'primary' });
      res.end(Buffer.concat([Buffer.from(json), Buffer.from(scores.buffer)]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const records = await runK6Load({ url, rate: 50, durationMs: 1000, timeoutMs: 1000, requests, t0: performance.now() + K6_START_LEAD_MS }, v2Judge, k6);
    expect(records).toHaveLength(50);
    expect([...seen]).toEqual(['/v2/models/ranker/infer 4']);
    expect(records.every((r) => r.status === 200 && r.servedBy === 'primary')).toBe(true);
    expect(records.filter((r) => r.wrong).map((r) => r.request)).toEqual(records.filter((r) => r.request === 3).map(() => 3));
    expect(records.filter((r) => !r.wrong)).toHaveLength(50 - records.filter((r) => r.request === 3).length);
  } finally {
    server.close();
  }
}, 30_000);
