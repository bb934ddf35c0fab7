import { Pool } from 'undici';
import { answers, delayed, FAKE_MODEL_NAME, FAKE_MODEL_SHA256, type FakeReplica, hangs, inferAnswer, resetsMidResponse, scoresForCount, startFakeReplica } from './fake-replica';
import { startRouter } from './server';

/** What one rehearsed request got: its status and x-failover header. */
export interface RehearsedAnswer {
  failure: string;
  status: number;
  failover: string | null;
}

// Wide margins, so that a stall of a loaded machine (10 ms is not rare here) does not swap one path for another.
const ATTEMPT_TIMEOUT_MS = 60;
/** 10 ms after the reset of resetsMidResponse (5 ms), long before the attempt deadline. */
const HEDGE_DELAY_MS = 15;
const REQUEST = JSON.stringify({
  userId: 1,
  userFeatures: Array.from({ length: 16 }, () => 0.5),
  candidates: Array.from({ length: 10 }, (_, i) => ({ itemId: i + 1, features: Array.from({ length: 16 }, () => 0.25) })),
});
/** The same request as an OIP v2 infer request with JSON tensors (the gateway reads only its shapes). */
const INFER_PATH = `/v2/models/${FAKE_MODEL_NAME}/infer`;
const INFER_REQUEST = JSON.stringify({
  inputs: [
    { name: 'user_id', datatype: 'INT64', shape: [1], data: [1] },
    { name: 'user_features', datatype: 'FP32', shape: [1, 16], data: Array.from({ length: 16 }, () => 0.5) },
    { name: 'item_ids', datatype: 'INT64', shape: [10], data: Array.from({ length: 10 }, (_, i) => i + 1) },
    { name: 'item_features', datatype: 'FP32', shape: [10, 16], data: Array.from({ length: 160 }, () => 0.25) },
  ],
});

/**
 * Runs the gateway's failure paths once before it takes traffic: a gateway started with the same code, in
 * front of two throwaway replicas on loopback, meets a bad OIP v2 answer, a 5xx, a reset mid-answer, an invalid body, a wrong model,
 * a slow primary (hedge), a silent one (deadline), a crashed one (refused, then its breaker open) and both
 * down (503). V8 compiles a function on its first call and learns its shapes over the next
 * ones; without this the first real failover after a start paid for that on the critical path. In the
 * gateway benchmark (8 runs each way, alternating) crash failover took a median 3.4 ms (2.2-8.3) without the
 * rehearsal and 1.9 ms (1.4-5.8) with it. Takes about 0.2 s of startup.
 */
export async function rehearseFailover(): Promise<RehearsedAnswer[]> {
  const seen: RehearsedAnswer[] = [];
  // Wrong answers and slowness, on a primary that stays in traffic; then a reset that takes it out.
  await withGateway(seen, async (primary, _standby, send) => {
    // OIP v2: a good answer, then one with a NaN score (its own answer check) that is retried on the standby.
    const answersInferCorrectly = primary.inferBehaviour;
    await send('v2_none', 'v2');
    primary.inferBehaviour = (n, res) => inferAnswer(res, { scores: scoresForCount(n).map((s, i) => (i === 0 ? Number.NaN : s)), sha256: FAKE_MODEL_SHA256 });
    await send('v2_invalid_body', 'v2');
    primary.inferBehaviour = answersInferCorrectly;
    const failures = [
      ['server_error', answers(500, '{"error":{"code":"internal","message":"rehearsal"}}')],
      ['invalid_body', answers(200, '{"scores":[0.1,')],
      ['slow', delayed(ATTEMPT_TIMEOUT_MS - 15, primary.answersCorrectly)],
      ['silent', hangs],
      ['reset', resetsMidResponse],
    ] as const;
    primary.sha256 = 'cd'.repeat(32);
    await send('wrong_model');
    primary.sha256 = FAKE_MODEL_SHA256;
    for (const [failure, behaviour] of failures) {
      primary.behaviour = behaviour;
      await send(failure);
    }
    await send('breaker_open');
  });
  // A crash: refused connections, the standby alone, then it goes silent and away too (503s).
  await withGateway(seen, async (primary, standby, send) => {
    await primary.close();
    await send('crash');
    await send('breaker_open');
    standby.behaviour = hangs;
    await send('last_resort_silent');
    await standby.close();
    await send('both_down');
    await send('both_breakers_open');
  });
  return seen;
}

type Send = (failure: string, protocol?: 'v1' | 'v2') => Promise<void>;

async function withGateway(seen: RehearsedAnswer[], rehearse: (primary: FakeReplica, standby: FakeReplica, send: Send) => Promise<void>): Promise<void> {
  const [primary, standby] = await Promise.all([startFakeReplica('primary'), startFakeReplica('standby')]);
  const router = await startRouter({
    primary: primary.url,
    standby: standby.url,
    host: '127.0.0.1',
    port: 0,
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
    // The silent last resort is given up after two attempt deadlines, not the default budget.
    requestTimeoutMs: 2 * ATTEMPT_TIMEOUT_MS,
    // Wrong answers are rehearsed one after the other on a primary that stays in traffic.
    failureThreshold: 100,
    hedgeDelayMs: HEDGE_DELAY_MS,
    // No probe is to close a breaker opened here meanwhile.
    probeIntervalMs: 60_000,
    healthyProbeIntervalMs: 60_000,
  });
  const client = new Pool(router.url, { connections: 1 });
  const send: Send = async (failure, protocol = 'v1') => {
    const [path, body] = protocol === 'v1' ? ['/v1/rank', REQUEST] : [INFER_PATH, INFER_REQUEST];
    const res = await client.request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.body.dump();
    const failover = res.headers['x-failover'];
    seen.push({ failure, status: res.statusCode, failover: typeof failover === 'string' ? failover : null });
  };
  try {
    for (let i = 0; i < 10; i++) await send('none');
    await rehearse(primary, standby, send);
  } finally {
    await client.close();
    await router.close();
    await Promise.all([primary.close(), standby.close()]);
  }
}
