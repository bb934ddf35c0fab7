// Gateway benchmark: added latency versus calling a replica directly, and crash / partition / slow primary under
// open-model load. Three processes, as in a deployment: this one (load generator and measurements), the gateway,
// and the upstreams (fake replicas plus a fault-injecting TCP proxy in front of the primary, driven over IPC).
// Figures depend on the machine: the output states its load.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import type { RankRequest } from '../services/common/contract';
import { startFakeReplica } from '../services/router/fake-replica';
import { deployedEntry } from './deployed';
import { percentile } from './stats';

const RATE_PER_S = 500;
const WARM_MS = 1500;
const FAULT_MS = 2000;
const AFTER_MS = 1500;
const SLOW_MS = 500;
const IN_A_ROW = 20;
const OVERHEAD_REQUESTS = 3000;
// Environment: BENCH_FAULTS=crash,slow runs only those fault scenarios; BENCH_VERBOSE=1 prints the gateway's log
// (breaker transitions), failed requests and the fault times on stderr, on this process's clock;
// BENCH_GATEWAY_ARGS='--no-failover-rehearsal' passes flags on to the gateway (to compare settings).
const VERBOSE = process.env.BENCH_VERBOSE === '1';

const request: RankRequest = {
  userId: 7,
  userFeatures: Array.from({ length: 16 }, (_, i) => i / 16),
  candidates: Array.from({ length: 20 }, (_, i) => ({ itemId: i + 1, features: Array.from({ length: 16 }, () => 0.5) })),
};
const payload = JSON.stringify(request);

const FAULTS = ['crash', 'partition', 'slow'] as const;
type FaultMode = 'pass' | (typeof FAULTS)[number];

/** A TCP proxy in front of the primary that can refuse (crash), swallow (partition) or delay (slow) traffic. */
class FaultProxy {
  private mode: FaultMode = 'pass';
  private readonly sockets = new Set<Socket>();
  private server: Server;
  port = 0;

  constructor(private readonly target: number) {
    this.server = this.makeServer();
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async set(mode: FaultMode): Promise<void> {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'crash') {
      this.server.close();
      for (const s of this.sockets) s.destroy();
    } else if (previous === 'crash') {
      this.server = this.makeServer();
      await this.start(this.port);
    } else if (previous === 'partition') {
      // The partition heals the way TCP gives up on it: stuck connections are dropped, new ones work.
      for (const s of this.sockets) s.destroy();
    }
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private makeServer(): Server {
    return createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.setNoDelay(true);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('data', (chunk) => {
        if (this.mode !== 'partition') upstream.write(chunk);
      });
      // Bytes leave in order: after the slow fault is reverted, later chunks wait for the delayed ones, as in Toxiproxy.
      let releaseAt = 0;
      upstream.on('data', (chunk) => {
        if (this.mode === 'partition') return;
        const now = performance.now();
        releaseAt = Math.max(releaseAt, this.mode === 'slow' ? now + SLOW_MS : now);
        if (releaseAt <= now) client.write(chunk);
        else setTimeout(() => client.write(chunk), releaseAt - now);
      });
    });
  }
}

interface Gateway {
  url: string;
  stop(): Promise<void>;
}

let gatewayEntry: Promise<string> | undefined;

async function startGateway(primary: string, standby: string): Promise<Gateway> {
  gatewayEntry ??= deployedEntry('router');
  const args = ['--primary', primary, '--standby', standby, '--port', '0', '--host', '127.0.0.1', ...(process.env.BENCH_GATEWAY_ARGS ? process.env.BENCH_GATEWAY_ARGS.split(' ') : [])];
  const child = spawn(process.execPath, [await gatewayEntry, ...args], {
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not log "router listening" within 15 s')), 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; url?: string };
      if (VERBOSE) console.error(`${performance.now().toFixed(1)} ms ${line}`);
      if (entry.msg === 'router listening') {
        clearTimeout(timer);
        resolve(entry.url!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before listening`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Sample {
  scheduledAt: number;
  endAt: number;
  status: number;
  servedBy: string | null;
  failover: string | null;
}

async function send(pool: Pool): Promise<Omit<Sample, 'scheduledAt' | 'endAt'>> {
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
        next += 1;
        pending.push(
          send(pool).then((r) => {
            samples.push({ scheduledAt, endAt: performance.now(), ...r });
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


const ok = (s: Sample) => s.status === 200;

interface FaultResult {
  fault: string;
  requests: number;
  failed: number;
  p50FaultMs: number;
  p99FaultMs: number;
  failoverMs: number;
  failbackMs: number;
  failedAfterRecovery: number;
}

async function faultScenario(fault: Exclude<FaultMode, 'pass'>, upstreams: Upstreams): Promise<FaultResult> {
  const gateway = await startGateway(upstreams.proxiedPrimaryUrl, upstreams.standbyUrl);
  const pool = new Pool(gateway.url, { connections: 512 });
  try {
    await warmUp(pool);
    const routing = async () => {
      // Verbose only: the hedge delays just before the fault (the partition and slow faults are detected by hedging).
      const res = await pool.request({ path: '/v1/routing', method: 'GET' });
      const { replicas } = (await res.body.json()) as { replicas: Record<string, { hedgeDelayMs: number }> };
      console.error(`${performance.now().toFixed(1)} ms hedge delays: ${Object.entries(replicas).map(([role, r]) => `${role} ${r.hedgeDelayMs.toFixed(2)} ms`).join(', ')}`);
      return performance.now();
    };
    const { samples, eventTimes } = await openLoad(pool, WARM_MS + FAULT_MS + AFTER_MS, [
      ...(VERBOSE ? [{ atMs: WARM_MS - 20, run: routing }] : []),
      { atMs: WARM_MS, run: () => upstreams.setFault(fault) },
      { atMs: WARM_MS + FAULT_MS, run: () => upstreams.setFault('pass') },
    ]);
    const [injectAt, revertAt] = eventTimes.slice(-2) as [number, number];
    if (VERBOSE) console.error(`${injectAt.toFixed(1)} ms ${fault} injected; ${revertAt.toFixed(1)} ms reverted`);
    const during = samples.filter((s) => s.scheduledAt >= injectAt && s.scheduledAt < revertAt);
    const afterInject = samples.filter((s) => s.endAt >= injectAt);
    const recovered = afterInject.findIndex(
      (s, i) => s.servedBy === 'standby' && i + IN_A_ROW <= afterInject.length && afterInject.slice(i, i + IN_A_ROW).every(ok),
    );
    const firstPrimary = samples.find((s) => s.scheduledAt >= revertAt && s.servedBy === 'primary');
    if (VERBOSE) {
      for (const s of afterInject.slice(0, 8)) {
        console.error(`after injection: sent ${(s.scheduledAt - injectAt).toFixed(1)} ms, done ${(s.endAt - injectAt).toFixed(1)} ms, ${s.status} ${s.servedBy} ${s.failover}`);
      }
      const slowest = [...during].sort((a, b) => b.endAt - b.scheduledAt - (a.endAt - a.scheduledAt)).slice(0, 10);
      for (const s of slowest) {
        console.error(`slow in fault: sent ${(s.scheduledAt - injectAt).toFixed(1)} ms after injection, ${(s.endAt - s.scheduledAt).toFixed(1)} ms, ${s.status} ${s.servedBy} ${s.failover}`);
      }
    }
    return {
      fault,
      requests: samples.length,
      failed: samples.filter((s) => !ok(s)).length,
      p50FaultMs: percentile(during.map((s) => s.endAt - s.scheduledAt), 50),
      p99FaultMs: percentile(during.map((s) => s.endAt - s.scheduledAt), 99),
      failoverMs: recovered === -1 ? Number.NaN : afterInject[recovered]!.endAt - injectAt,
      failbackMs: firstPrimary ? firstPrimary.endAt - revertAt : Number.NaN,
      failedAfterRecovery: samples.filter((s) => s.scheduledAt >= revertAt && !ok(s)).length,
    };
  } finally {
    await pool.close();
    await gateway.stop();
  }
}

/** Lets the gateway's JIT and connection pools settle, as in a deployment that has been up a while. */
async function warmUp(pool: Pool): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    const r = await send(pool);
    if (r.status !== 200) throw new Error(`a warm-up request answered ${r.status}`);
  }
}

/**
 * A byte-for-byte TCP relay in its own process, reading no HTTP: what any proxy process in the path costs on
 * this machine (two more loopback hops, two more wake-ups), the floor of the gateway's added latency.
 */
async function startRelay(target: string): Promise<Gateway> {
  const { port } = new URL(target);
  const script = `const net = require('node:net');
const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: ${port}, noDelay: true });
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    (async () => {
      for await (const l of createInterface({ input: child.stdout! })) return [l];
      return [];
    })(),
    new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the relay exited with ${code}`)))),
  ]);
  return {
    url: `http://127.0.0.1:${line}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Sequential requests, taking turns direct, through the relay and through the gateway so drift hits all alike. */
async function overhead(upstreams: Upstreams) {
  const gateway = await startGateway(upstreams.primaryUrl, upstreams.standbyUrl);
  const relay = await startRelay(upstreams.primaryUrl);
  const direct = new Pool(upstreams.primaryUrl, { connections: 1 });
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

export async function run(): Promise<void> {
  const upstreams = await Upstreams.start();
  try {
    console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start`);
    const { directMs, relayMs, gatewayMs } = await overhead(upstreams);
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

    const results: FaultResult[] = [];
    for (const fault of FAULTS.filter((f) => !process.env.BENCH_FAULTS || process.env.BENCH_FAULTS.split(',').includes(f))) {
      results.push(await faultScenario(fault, upstreams));
    }
    console.log(
      `\nPrimary faults under ${RATE_PER_S} req/s open-model load (${WARM_MS} ms healthy, ${FAULT_MS} ms fault, ${AFTER_MS} ms after revert; slow = +${SLOW_MS} ms; failover = injection to first standby answer followed by ${IN_A_ROW} successes)`,
    );
    console.log('| fault | requests | failed | p50 in fault ms | p99 in fault ms | failover ms | fail-back ms | failed after revert |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      console.log(
        `| ${r.fault} | ${r.requests} | ${r.failed} | ${fmt(r.p50FaultMs)} | ${fmt(r.p99FaultMs)} | ${fmt(r.failoverMs)} | ${fmt(r.failbackMs)} | ${r.failedAfterRecovery} |`,
      );
    }
    console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at end`);
  } finally {
    await upstreams.stop();
  }
}

type ToUpstreams = { type: 'ping' } | { type: 'fault'; mode: FaultMode };
type FromUpstreams =
  | { type: 'ready'; primaryUrl: string; standbyUrl: string; proxiedPrimaryUrl: string }
  | { type: 'pong' | 'applied'; at: number };

/** The upstreams process, seen from here: its URLs, and faults applied with their time on this process's clock. */
class Upstreams {
  private constructor(
    private readonly child: ChildProcess,
    readonly primaryUrl: string,
    readonly standbyUrl: string,
    readonly proxiedPrimaryUrl: string,
    /** Add to the child's performance.now() to get this process's. */
    private offsetMs = 0,
  ) {}

  static async start(): Promise<Upstreams> {
    const child = fork(__filename, ['upstreams'], { execArgv: ['--import', 'tsx'], cwd: join(__dirname, '..') });
    const ready = await new Promise<Extract<FromUpstreams, { type: 'ready' }>>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Extract<FromUpstreams, { type: 'ready' }>));
      child.once('exit', (code) => reject(new Error(`the upstreams process exited with ${code} before it was ready`)));
    });
    const upstreams = new Upstreams(child, ready.primaryUrl, ready.standbyUrl, ready.proxiedPrimaryUrl);
    // Clock offset from the round trip with the smallest delay.
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20; i += 1) {
      const sent = performance.now();
      const { at } = await upstreams.ask({ type: 'ping' });
      const received = performance.now();
      if (received - sent < best) {
        best = received - sent;
        upstreams.offsetMs = (sent + received) / 2 - at;
      }
    }
    return upstreams;
  }

  async setFault(mode: FaultMode): Promise<number> {
    const { at } = await this.ask({ type: 'fault', mode });
    return at + this.offsetMs;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }

  private ask(message: ToUpstreams): Promise<{ at: number }> {
    return new Promise((resolve) => {
      this.child.once('message', (m) => resolve(m as { at: number }));
      this.child.send(message);
    });
  }
}

/** The upstreams process: fake primary and standby, and the fault proxy in front of the primary. */
async function serveUpstreams(): Promise<void> {
  const [primary, standby] = await Promise.all([startFakeReplica('primary'), startFakeReplica('standby')]);
  const proxy = new FaultProxy(Number(new URL(primary.url).port));
  await proxy.start();
  const reply = (m: FromUpstreams) => process.send!(m);
  process.on('message', (m: ToUpstreams) => {
    if (m.type === 'ping') reply({ type: 'pong', at: performance.now() });
    else void proxy.set(m.mode).then(() => reply({ type: 'applied', at: performance.now() }));
  });
  process.once('SIGTERM', () => {
    void Promise.all([proxy.close(), primary.close(), standby.close()]).then(() => process.exit(0));
  });
  reply({ type: 'ready', primaryUrl: primary.url, standbyUrl: standby.url, proxiedPrimaryUrl: `http://127.0.0.1:${proxy.port}` });
}

if (require.main === module) {
  (process.argv[2] === 'upstreams' ? serveUpstreams() : run()).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
