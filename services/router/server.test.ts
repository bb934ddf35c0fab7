import type { RankRequest } from '../common/contract';
import { answers, hangs, refusedUrl, resetsMidResponse, scoresFor, startFakeReplica, type FakeReplica } from './fake-replica';
import { startRouter, type RouterOptions, type StartedRouter } from './server';

const ATTEMPT_TIMEOUT_MS = 150;

const rankRequest: RankRequest = {
  userId: 7,
  userFeatures: Array.from({ length: 16 }, (_, i) => i / 16),
  candidates: [11, 22, 33].map((itemId) => ({ itemId, features: Array.from({ length: 16 }, () => 0.5) })),
};

let primary: FakeReplica;
let standby: FakeReplica;
let router: StartedRouter | undefined;

beforeEach(async () => {
  [primary, standby] = await Promise.all([startFakeReplica('primary'), startFakeReplica('standby')]);
});

afterEach(async () => {
  await router?.close();
  router = undefined;
  await Promise.all([primary.close(), standby.close()]);
});

async function start(opts: Partial<RouterOptions> = {}): Promise<StartedRouter> {
  router = await startRouter({
    primary: primary.url,
    standby: standby.url,
    port: 0,
    host: '127.0.0.1',
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
    probeIntervalMs: 20,
    ...opts,
  });
  return router;
}

async function rank(body: string = JSON.stringify(rankRequest)) {
  const started = performance.now();
  const res = await fetch(`${router!.url}/v1/rank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    servedBy: res.headers.get('x-served-by'),
    failover: res.headers.get('x-failover'),
    attempts: res.headers.get('x-attempts'),
    bytes,
    json: JSON.parse(bytes.toString('utf8')) as Record<string, any>,
    elapsedMs: performance.now() - started,
  };
}

async function routing(): Promise<Record<string, any>> {
  return (await fetch(`${router!.url}/v1/routing`)).json() as Promise<Record<string, any>>;
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('router, healthy primary', () => {
  it('serves from the primary and passes its body bytes through unchanged', async () => {
    await start();
    const res = await rank();
    expect(res.status).toBe(200);
    expect([res.servedBy, res.failover, res.attempts]).toEqual(['primary', 'none', '1']);
    expect(res.bytes.equals(primary.lastAnswer!)).toBe(true);
    expect(res.json.scores).toEqual(scoresFor(rankRequest));
    expect([primary.rankRequests, standby.rankRequests]).toEqual([1, 0]);
  });

  it('passes a 4xx from the primary through without retrying', async () => {
    const error = '{"error":{"code":"invalid_request","message":"userFeatures must have 16 numbers","path":"userFeatures"}}';
    primary.behaviour = answers(400, error);
    await start();
    const res = await rank();
    expect(res.status).toBe(400);
    expect(res.bytes.toString()).toBe(error);
    expect([res.servedBy, res.failover]).toEqual(['primary', 'none']);
    expect(standby.rankRequests).toBe(0);
  });

  it('refuses a non-JSON body with 400 without contacting a replica', async () => {
    await start();
    const res = await rank('{"userId": 7,');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_json');
    expect([primary.rankRequests, standby.rankRequests]).toEqual([0, 0]);
  });

  it('refuses a body over 1 MiB with 413', async () => {
    await start();
    const res = await rank(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(primary.rankRequests).toBe(0);
  });

  it('answers /healthz and reports both replicas up in /v1/routing', async () => {
    await start();
    expect(await (await fetch(`${router!.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const state = await routing();
    expect(state.preferred).toBe('primary');
    expect(state.replicas.primary).toMatchObject({ state: 'up', consecutiveFailures: 0, lastError: null, lastProbe: null });
    expect(state.replicas.standby).toMatchObject({ state: 'up' });
  });
});

describe('router, failing primary', () => {
  it('retries on the standby when the primary refuses connections, then skips the primary', async () => {
    const primaryUrl = await refusedUrl();
    router = await startRouter({ primary: primaryUrl, standby: standby.url, port: 0, host: '127.0.0.1', probeIntervalMs: 20 });
    const first = await rank();
    expect([first.status, first.servedBy, first.failover, first.attempts]).toEqual([200, 'standby', 'retry', '2']);
    expect(first.json.replica.role).toBe('standby');

    const second = await rank();
    expect([second.status, second.servedBy, second.failover, second.attempts]).toEqual([200, 'standby', 'breaker', '1']);
    const state = await routing();
    expect(state.preferred).toBe('standby');
    expect(state.replicas.primary.state).toBe('down');
    expect(state.replicas.primary.lastError.kind).toBe('connection');
    expect(state.replicas.primary.lastError.message).toMatch(/ECONNREFUSED/);
  });

  it('retries on the standby when the primary resets the socket mid-response', async () => {
    primary.behaviour = resetsMidResponse;
    await start();
    const res = await rank();
    expect([res.status, res.servedBy, res.failover]).toEqual([200, 'standby', 'retry']);
    expect([primary.rankRequests, standby.rankRequests]).toEqual([1, 1]);
  });

  it('retries on the standby after one attempt timeout when the primary hangs, and stops waiting on it', async () => {
    primary.behaviour = hangs;
    primary.ready = false;
    await start();
    const first = await rank();
    expect([first.status, first.servedBy, first.failover]).toEqual([200, 'standby', 'retry']);
    expect(first.elapsedMs).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 5);
    expect(first.elapsedMs).toBeLessThan(ATTEMPT_TIMEOUT_MS + 150);

    const second = await rank();
    expect([second.servedBy, second.failover]).toEqual(['standby', 'breaker']);
    expect(second.elapsedMs).toBeLessThan(ATTEMPT_TIMEOUT_MS / 2);
    expect(primary.rankRequests).toBe(1);
  });

  it('retries on the standby when the primary answers 500', async () => {
    primary.behaviour = answers(500, '{"error":{"code":"internal","message":"boom"}}');
    await start();
    const res = await rank();
    expect([res.status, res.servedBy, res.failover, res.attempts]).toEqual([200, 'standby', 'retry', '2']);
    expect(res.json.replica.role).toBe('standby');
  });

  it.each([
    ['not JSON', 'this is not json'],
    ['an empty body', ''],
    ['no scores', '{"ranking":[0,1,2]}'],
    ['an infinite score', '{"scores":[0.1,1e999,0.3]}'],
    ['a null score', '{"scores":[0.1,null,0.3]}'],
    ['a string score', '{"scores":[0.1,"NaN",0.3]}'],
    ['too few scores', '{"scores":[0.1,0.2]}'],
  ])('retries on the standby when the primary answers 200 with %s', async (_name, body) => {
    primary.behaviour = answers(200, body);
    await start();
    const res = await rank();
    expect([res.status, res.servedBy, res.failover]).toEqual([200, 'standby', 'retry']);
    expect(res.json.scores).toEqual(scoresFor(rankRequest));
  });

  it('marks the primary down after failureThreshold consecutive 5xx answers', async () => {
    primary.behaviour = answers(503, '{"error":{"code":"not_ready","message":"no verified model"}}');
    primary.ready = false;
    await start({ failureThreshold: 2 });
    await rank();
    expect((await routing()).replicas.primary.state).toBe('up');
    await rank();
    expect((await routing()).replicas.primary.state).toBe('down');
    const res = await rank();
    expect([res.servedBy, res.failover]).toEqual(['standby', 'breaker']);
    expect(primary.rankRequests).toBe(2);
  });

  it('fails back to the primary after recoveryThreshold healthy probes', async () => {
    primary.behaviour = resetsMidResponse;
    primary.ready = false;
    const changes: string[] = [];
    await start({ recoveryThreshold: 3, onStateChange: (c) => changes.push(`${c.role} ${c.state}`) });
    expect((await rank()).servedBy).toBe('standby');
    await waitFor(async () => primary.readyzRequests >= 3, 'three readiness probes of the down primary');
    expect((await rank()).servedBy).toBe('standby');

    const probesBefore = primary.readyzRequests;
    primary.behaviour = primary.answersCorrectly;
    primary.ready = true;
    await waitFor(async () => (await routing()).replicas.primary.state === 'up', 'the primary to be marked up');
    expect(primary.readyzRequests - probesBefore).toBeGreaterThanOrEqual(3);

    const res = await rank();
    expect([res.status, res.servedBy, res.failover]).toEqual([200, 'primary', 'none']);
    expect(res.json.replica.role).toBe('primary');
    expect(changes).toEqual(['primary down', 'primary up']);
  });
});

describe('router, no healthy replica', () => {
  it('answers 503 no_healthy_replica quickly when both replicas refuse connections', async () => {
    // A long attempt timeout shows the 503 does not come from waiting one out.
    const attemptTimeoutMs = 1000;
    router = await startRouter({ primary: await refusedUrl(), standby: await refusedUrl(), port: 0, host: '127.0.0.1', attemptTimeoutMs });
    const res = await rank();
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('no_healthy_replica');
    expect(res.json.error.message).toMatch(/primary.*standby/);
    expect(res.attempts).toBe('2');
    expect(res.servedBy).toBeNull();
    expect(res.elapsedMs).toBeLessThan(attemptTimeoutMs / 5);

    const next = await rank();
    expect([next.status, next.attempts]).toEqual([503, '0']);
  });

  it('with failover disabled, answers an error instead of using the standby when the primary is down', async () => {
    await start({ failover: false, primary: await refusedUrl() });
    for (let i = 0; i < 3; i += 1) {
      const res = await rank();
      expect([res.status, res.attempts]).toEqual([503, '1']);
      expect(res.servedBy).toBeNull();
    }
    expect(standby.rankRequests).toBe(0);
  });

  it('with failover disabled, keeps forwarding to a failing primary rather than skipping it', async () => {
    primary.behaviour = answers(500, '{"error":{"code":"internal","message":"boom"}}');
    await start({ failover: false, failureThreshold: 1 });
    for (let i = 0; i < 3; i += 1) expect((await rank()).status).toBe(503);
    expect([primary.rankRequests, standby.rankRequests]).toEqual([3, 0]);
  });
});

describe('router lifecycle', () => {
  it('rejects with a sentence naming the address when the port is taken', async () => {
    const first = await start();
    await expect(
      startRouter({ primary: primary.url, standby: standby.url, port: first.port, host: '127.0.0.1' }),
    ).rejects.toThrow(`the router could not listen on 127.0.0.1:${first.port}`);
  });
});
