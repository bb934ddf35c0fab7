// Gateway benchmark: added latency versus calling a replica directly, and refused / crashed / partitioned / slow
// primary under open-model load. Four kinds of process, as in a deployment: this one (load generator and
// measurements), the gateway, the replicas (each its own process), and the upstreams process that starts them,
// runs a fault-injecting TCP proxy in front of the primary and SIGKILLs it (bench/fault-process.ts).
// Figures depend on the machine: the output states its load and the CPU pressure each row ran under.
import { cpus, loadavg } from 'node:os';
import { Pool } from 'undici';
import { pressureBetween, readPressure } from '../harness/measure/pressure';
import type { RankRequest } from '../services/common/contract';
import { Faults, type KillTimeline, SLOW_MS } from './fault-process';
import { faultMoments, type FaultMoments, roundFigures, type RoundFigures, type Sample } from './failover-moments';
import { startGateway, startRelay, VERBOSE } from './gateway-process';
import { startNoise } from './noise';
import { median, percentile, spread } from './stats';

const RATE_PER_S = 500;
const WARM_MS = 1500;
const FAULT_MS = 2000;
const AFTER_MS = 1500;
const IN_A_ROW = 20;
const OVERHEAD_REQUESTS = 3000;
/** Touched memory the primary holds in the "crash (SIGKILL), bigger heap" row, on top of its own ~50 MB. */
const BALLAST_MB = 300;
// Environment: BENCH_FAULTS=refuse,sigkill runs only those fault rows (keys: refuse, sigkill, sigkill-heap,
// partition, slow); BENCH_ROUNDS=N rounds per row (default 5); BENCH_NOISE=N runs N busy-looping neighbour
// processes throughout (CPU contention on its own, as on a shared CI runner).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const NOISE = Number(process.env.BENCH_NOISE ?? 0);

const request: RankRequest = {
  userId: 7,
  userFeatures: Array.from({ length: 16 }, (_, i) => i / 16),
  candidates: Array.from({ length: 20 }, (_, i) => ({ itemId: i + 1, features: Array.from({ length: 16 }, () => 0.5) })),
};
const payload = JSON.stringify(request);

interface Injected {
  at: number;
  kill?: KillTimeline;
}

/** One row of the fault table: how the fault is injected (and reverted, if it can be) and whom it hits. */
interface FaultScenario {
  key: string;
  name: string;
  /** Whether the gateway reaches the primary through the fault proxy (else directly). */
  viaProxy: boolean;
  primaryBallastMb: number;
  inject(faults: Faults): Promise<Injected>;
  revert?(faults: Faults): Promise<number>;
}

function proxyFault(mode: 'refuse' | 'partition' | 'slow', name: string): FaultScenario {
  return { key: mode, name, viaProxy: true, primaryBallastMb: 0, inject: async (f) => ({ at: await f.setProxy(mode) }), revert: (f) => f.setProxy('pass') };
}

function killFault(key: string, name: string, primaryBallastMb: number): FaultScenario {
  return {
    key,
    name,
    viaProxy: false,
    primaryBallastMb,
    inject: async (f) => {
      const kill = await f.killPrimary();
      return { at: kill.killAt, kill };
    },
  };
}

const SCENARIOS: FaultScenario[] = [
  proxyFault('refuse', 'refuse (TCP proxy refuses)'),
  killFault('sigkill', 'crash (SIGKILL)', 0),
  killFault('sigkill-heap', `crash (SIGKILL), primary +${BALLAST_MB} MB`, BALLAST_MB),
  proxyFault('partition', 'partition'),
  proxyFault('slow', 'slow'),
];

async function send(pool: Pool): Promise<Omit<Sample, 'scheduledAt' | 'sentAt' | 'endAt'>> {
  try {
    const res = await pool.request({ path: '/v1/rank', method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (VERBOSE && res.statusCode !== 200) console.error(`${performance.now().toFixed(1)} ms ${res.statusCode} ${body.toString().slice(0, 200)}`);
    const header = (name: string) => {
      const value = res.headers[name];
      return typeof value === 'string' ? value : null;
    };
    return { status: res.statusCode, servedBy: header('x-served-by'), failover: header('x-failover') };
  } catch (e) {
    if (VERBOSE) console.error(`${performance.now().toFixed(1)} ms client error ${(e as Error).message}`);
    return { status: 0, servedBy: null, failover: null };
  }
}

/**
 * Open-model load: request i goes out at start + i / rate whether or not earlier ones returned. Each event
 * resolves to the time (this process's clock) at which it took effect.
 */
async function openLoad(
  pool: Pool,
  durationMs: number,
  events: Array<{ atMs: number; run: () => Promise<number> }>,
): Promise<{ samples: Sample[]; eventTimes: number[] }> {
  const samples: Sample[] = [];
  const pending: Promise<void>[] = [];
  const eventsTaken: Promise<number>[] = [];
  const intervalMs = 1000 / RATE_PER_S;
  const total = Math.floor(durationMs / intervalMs);
  const t0 = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (eventsTaken.length < events.length && now - t0 >= events[eventsTaken.length]!.atMs) {
        eventsTaken.push(events[eventsTaken.length]!.run());
      }
      while (next < total && t0 + next * intervalMs <= now) {
        const scheduledAt = t0 + next * intervalMs;
        const sentAt = performance.now();
        next += 1;
        pending.push(
          send(pool).then((r) => {
            samples.push({ scheduledAt, sentAt, endAt: performance.now(), ...r });
          }),
        );
      }
      if (next < total) setTimeout(tick, Math.max(0, t0 + next * intervalMs - performance.now()));
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  samples.sort((a, b) => a.scheduledAt - b.scheduledAt);
  return { samples, eventTimes: await Promise.all(eventsTaken) };
}

interface FaultRound {
  figures: RoundFigures;
  moments: FaultMoments;
  /** The gateway's hedge delay for the primary just before the fault: how long an unanswered attempt waits for a hedge. */
  hedgeDelayMs: number;
}

/** The gateway's adaptive hedge delay for the primary, as GET /v1/routing reports it. */
async function primaryHedgeDelay(pool: Pool): Promise<number> {
  const res = await pool.request({ path: '/v1/routing', method: 'GET' });
  const { replicas } = (await res.body.json()) as { replicas: Record<string, { hedgeDelayMs: number }> };
  return replicas.primary?.hedgeDelayMs ?? Number.NaN;
}

/** One round: a fresh gateway (and a fresh primary after a kill), warm-up, then load with the fault in its middle. */
async function faultRound(scenario: FaultScenario, faults: Faults): Promise<FaultRound> {
  const urls = await faults.replicas(scenario.primaryBallastMb);
  const gateway = await startGateway(scenario.viaProxy ? urls.proxiedPrimaryUrl : urls.primaryUrl, urls.standbyUrl);
  const pool = new Pool(gateway.url, { connections: 512 });
  try {
    await warmUp(pool);
    let injected: Injected | undefined;
    let hedgeDelayMs = Number.NaN;
    const events = [
      { atMs: WARM_MS - 20, run: async () => ((hedgeDelayMs = await primaryHedgeDelay(pool)), performance.now()) },
      { atMs: WARM_MS, run: async () => (injected = await scenario.inject(faults)).at },
      ...(scenario.revert ? [{ atMs: WARM_MS + FAULT_MS, run: () => scenario.revert!(faults) }] : []),
    ];
    const { samples, eventTimes } = await openLoad(pool, WARM_MS + FAULT_MS + (scenario.revert ? AFTER_MS : 0), events);
    const injectAt = injected!.at;
    const revertAt = eventTimes[2] ?? Number.POSITIVE_INFINITY;
    if (VERBOSE) logAroundFault(scenario.name, samples, injectAt);
    return {
      figures: roundFigures(samples, injectAt, revertAt, IN_A_ROW),
      moments: faultMoments(samples, injectAt, IN_A_ROW, gateway.breakerEvents, injected!.kill),
      hedgeDelayMs,
    };
  } finally {
    await pool.close();
    await gateway.stop();
  }
}

function logAroundFault(name: string, samples: readonly Sample[], injectAt: number): void {
  for (const s of samples.filter((x) => x.endAt >= injectAt).slice(0, 12)) {
    console.error(`${name}: sent ${(s.scheduledAt - injectAt).toFixed(1)} ms after the fault, done ${(s.endAt - injectAt).toFixed(1)} ms, ${s.status} ${s.servedBy} ${s.failover}`);
  }
}

/** Lets the gateway's JIT and connection pools settle, as in a deployment that has been up a while. */
async function warmUp(pool: Pool): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    const r = await send(pool);
    if (r.status !== 200) throw new Error(`a warm-up request answered ${r.status}`);
  }
}

/** Sequential requests, taking turns direct, through the relay and through the gateway so drift hits all alike. */
async function overhead(primaryUrl: string, standbyUrl: string) {
  const gateway = await startGateway(primaryUrl, standbyUrl);
  const relay = await startRelay(primaryUrl);
  const direct = new Pool(primaryUrl, { connections: 1 });
  const viaRelay = new Pool(relay.url, { connections: 1 });
  const viaGateway = new Pool(gateway.url, { connections: 1 });
  const timed = async (pool: Pool) => {
    const started = performance.now();
    const r = await send(pool);
    if (r.status !== 200) throw new Error(`a warm-up request answered ${r.status}`);
    return performance.now() - started;
  };
  try {
    for (let i = 0; i < 300; i += 1) await Promise.all([timed(direct), timed(viaRelay), timed(viaGateway)]);
    const directMs: number[] = [];
    const relayMs: number[] = [];
    const gatewayMs: number[] = [];
    for (let i = 0; i < OVERHEAD_REQUESTS; i += 1) {
      directMs.push(await timed(direct));
      relayMs.push(await timed(viaRelay));
      gatewayMs.push(await timed(viaGateway));
    }
    return { directMs, relayMs, gatewayMs };
  } finally {
    await Promise.all([direct.close(), viaRelay.close(), viaGateway.close()]);
    await Promise.all([gateway.stop(), relay.stop()]);
  }
}

const fmt = (ms: number) => (Number.isNaN(ms) ? 'n/a' : ms.toFixed(2));
const load = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;

async function overheadTable(faults: Faults): Promise<void> {
  const { primaryUrl, standbyUrl } = await faults.replicas(0);
  const { directMs, relayMs, gatewayMs } = await overhead(primaryUrl, standbyUrl);
  const added = (ms: number[]) => [percentile(ms, 50) - percentile(directMs, 50), percentile(ms, 99) - percentile(directMs, 99)] as const;
  const rows = [
    ['direct to replica', percentile(directMs, 50), percentile(directMs, 99)],
    ['through a TCP relay (no HTTP)', percentile(relayMs, 50), percentile(relayMs, 99)],
    ['through gateway', percentile(gatewayMs, 50), percentile(gatewayMs, 99)],
    ['added by the relay: the floor', ...added(relayMs)],
    ['added by gateway', ...added(gatewayMs)],
  ] as const;
  console.log(`\nGateway added latency (${OVERHEAD_REQUESTS} sequential requests each, loopback, fake replicas)`);
  console.log('| path | p50 ms | p99 ms |\n|---|---:|---:|');
  for (const [name, p50, p99] of rows) console.log(`| ${name} | ${fmt(p50)} | ${fmt(p99)} |`);
}

interface FaultRow {
  scenario: FaultScenario;
  rounds: FaultRound[];
  /** CPU pressure (% of wall time some task waited for a CPU) over the row's rounds. */
  pressure: number;
}

function faultTables(rows: readonly FaultRow[]): void {
  console.log(
    `\nPrimary faults under ${RATE_PER_S} req/s open-model load, ${ROUNDS} rounds each, min / median / max (${WARM_MS} ms healthy, then the fault: ` +
      `proxy faults ${FAULT_MS} ms and ${AFTER_MS} ms after revert, a SIGKILL is not reverted; slow = +${SLOW_MS} ms; failover = fault to the end of the first standby answer followed by ${IN_A_ROW} successes)`,
  );
  console.log('| fault | requests a round | failed (all rounds) | p99 in fault ms | failover ms | fail-back ms | failed after revert | CPU pressure % |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const { scenario, rounds, pressure } of rows) {
    const f = rounds.map((r) => r.figures);
    const sum = (pick: (x: RoundFigures) => number) => f.reduce((n, x) => n + pick(x), 0);
    console.log(
      `| ${scenario.name} | ${median(f.map((x) => x.requests))} | ${sum((x) => x.failed)} | ${spread(f.map((x) => x.p99FaultMs))} | ${spread(f.map((x) => x.failoverMs))} | ` +
        `${scenario.revert ? spread(f.map((x) => x.failbackMs)) : 'not reverted'} | ${scenario.revert ? sum((x) => x.failedAfterRevert) : '-'} | ${pressure.toFixed(0)} |`,
    );
  }
  breakdownTable(rows.filter((r) => r.scenario.key === 'refuse' || r.scenario.key.startsWith('sigkill')));
}

/** Where the time between the fault and the failover goes: each step, ms after the fault, min / median / max. */
function breakdownTable(rows: readonly FaultRow[]): void {
  if (rows.length === 0) return;
  console.log('\nFrom the fault to the failover, ms after the fault (min / median / max over the rounds)');
  console.log(
    '| fault | primary RSS MB | port refuses | exit seen | breaker opens (on) | first standby answer | failover | in flight at fault (last ended) | primary hedge delay | load generator late by (max) | answers until failover by |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const { scenario, rounds } of rows) {
    const m = rounds.map((r) => r.moments);
    const col = (pick: (x: FaultMoments) => number) => spread(m.map(pick));
    const modes: Record<string, number> = {};
    for (const x of m) for (const [mode, n] of Object.entries(x.modes)) modes[mode] = (modes[mode] ?? 0) + n;
    const reasons = [...new Set(m.map((x) => x.breakerReason.replace(/\d+/g, 'N')))].join('; ');
    console.log(
      `| ${scenario.name} | ${col((x) => x.rssMb)} | ${col((x) => x.refusedMs)} | ${col((x) => x.exitMs)} | ${col((x) => x.breakerMs)} (${reasons}) | ` +
        `${col((x) => x.firstStandbyMs)} | ${spread(rounds.map((r) => r.figures.failoverMs))} | ${median(m.map((x) => x.inFlight))} (${col((x) => x.lastInFlightMs)}) | ` +
        `${spread(rounds.map((r) => r.hedgeDelayMs))} | ${col((x) => x.sendLatenessMs)} | ${Object.entries(modes).map(([mode, n]) => `${mode} ${n}`).join(', ')} |`,
    );
  }
}

export async function run(): Promise<void> {
  const faults = await Faults.start();
  const noise = startNoise(NOISE);
  try {
    console.log(`machine: ${cpus().length} cores, ${load()} at start, ${NOISE} busy-looping neighbour process(es)`);
    await overheadTable(faults);
    const rows: FaultRow[] = [];
    for (const scenario of SCENARIOS.filter((s) => !process.env.BENCH_FAULTS || process.env.BENCH_FAULTS.split(',').includes(s.key))) {
      const before = readPressure();
      const rounds: FaultRound[] = [];
      for (let i = 0; i < ROUNDS; i += 1) rounds.push(await faultRound(scenario, faults));
      rows.push({ scenario, rounds, pressure: pressureBetween(before, readPressure()).percent });
    }
    faultTables(rows);
    console.log(`${load()} at end; CPU pressure from ${readPressure().source}`);
  } finally {
    noise.stop();
    await faults.stop();
  }
}

if (require.main === module) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
