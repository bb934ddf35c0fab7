// The gateway bench's upstreams, in a process of their own so that the load generator's clock and event loop are
// not theirs: a primary and a standby replica, each its own child process (bench/replica-process.ts), and a TCP
// proxy in front of the primary that can refuse, swallow or delay its traffic. The primary can also be SIGKILLed,
// as a crash kills it; this process then times how long the kernel takes to make the crash visible.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchProcessEntry } from './deployed';

export const SLOW_MS = 500;

export const PROXY_FAULTS = ['refuse', 'partition', 'slow'] as const;
type ProxyMode = 'pass' | (typeof PROXY_FAULTS)[number];

/** When a SIGKILL took effect, each moment on the clock of the process that asked for it. */
export interface KillTimeline {
  killAt: number;
  /** First connection attempt to the primary's port refused: its sockets are closed (probed every ~1 ms). */
  refusedAt: number;
  /** The parent saw the process exit (SIGCHLD). */
  exitAt: number;
  /** Resident memory of the primary just before the kill, MB. */
  rssMb: number;
}

export interface ReplicaUrls {
  primaryUrl: string;
  standbyUrl: string;
  proxiedPrimaryUrl: string;
}

/** A TCP proxy in front of the primary that can refuse, swallow (partition) or delay (slow) traffic. */
class FaultProxy {
  private mode: ProxyMode = 'pass';
  private readonly sockets = new Set<Socket>();
  private server: Server;
  port = 0;
  target = 0;

  constructor() {
    this.server = this.makeServer();
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async set(mode: ProxyMode): Promise<void> {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'refuse') {
      this.server.close();
      for (const s of this.sockets) s.destroy();
    } else if (previous === 'refuse') {
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

interface ReplicaProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number>;
}

let replicaEntry: Promise<string> | undefined;

async function startReplica(role: 'primary' | 'standby', ballastMb: number): Promise<ReplicaProcess> {
  replicaEntry ??= benchProcessEntry('replica-process');
  const child = spawn(process.execPath, [await replicaEntry, '--role', role, '--ballast-mb', String(ballastMb)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number>((resolve) => child.once('exit', () => resolve(performance.now())));
  const lines = createInterface({ input: child.stdout! });
  const url = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url))),
    exited.then(() => Promise.reject(new Error(`the ${role} replica process exited before it listened`))),
  ]);
  return { child, url, exited };
}

/** Resident memory of a process in MB, from /proc (Linux); NaN elsewhere. */
function rssMb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * The first moment a connection to `port` is refused. An attempt that neither connects nor fails within 5 ms is
 * given up and retried: once a dead listener's accept queue is full, the kernel drops SYNs instead of refusing.
 */
function firstRefusal(port: number): Promise<number> {
  return new Promise((resolve) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      const retry = () => {
        socket.destroy();
        setTimeout(attempt, 0);
      };
      const giveUp = setTimeout(retry, 5);
      socket.once('connect', () => {
        clearTimeout(giveUp);
        retry();
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(giveUp);
        if (e.code === 'ECONNREFUSED') resolve(performance.now());
        else retry();
      });
    };
    attempt();
  });
}

type ToFaults = { type: 'ping' } | { type: 'replicas'; primaryBallastMb: number } | { type: 'fault'; mode: ProxyMode } | { type: 'kill' };
type FromFaults = { type: 'pong' | 'applied'; at: number } | ({ type: 'replicas' } & ReplicaUrls) | ({ type: 'killed' } & KillTimeline);

/** The upstreams process: replicas on demand, the fault proxy, and the kill. */
async function serveFaults(): Promise<void> {
  const proxy = new FaultProxy();
  await proxy.start();
  const standby = await startReplica('standby', 0);
  let primary: (ReplicaProcess & { ballastMb: number }) | undefined;
  /** The running primary if it holds that ballast, else a fresh one (the last was killed, or held another). */
  const primaryWith = async (ballastMb: number): Promise<ReplicaProcess> => {
    if (primary && primary.child.exitCode === null && primary.child.signalCode === null && primary.ballastMb === ballastMb) return primary;
    primary?.child.kill('SIGKILL');
    primary = { ...(await startReplica('primary', ballastMb)), ballastMb };
    proxy.target = Number(new URL(primary.url).port);
    return primary;
  };
  const handle = async (m: ToFaults): Promise<FromFaults> => {
    if (m.type === 'ping') return { type: 'pong', at: performance.now() };
    if (m.type === 'fault') {
      await proxy.set(m.mode);
      return { type: 'applied', at: performance.now() };
    }
    if (m.type === 'replicas') {
      const { url } = await primaryWith(m.primaryBallastMb);
      return { type: 'replicas', primaryUrl: url, standbyUrl: standby.url, proxiedPrimaryUrl: `http://127.0.0.1:${proxy.port}` };
    }
    const { child, url, exited } = primary!;
    const rss = rssMb(child.pid!);
    const killAt = performance.now();
    process.kill(child.pid!, 'SIGKILL');
    const [refusedAt, exitAt] = await Promise.all([firstRefusal(Number(new URL(url).port)), exited]);
    return { type: 'killed', killAt, refusedAt, exitAt, rssMb: rss };
  };
  process.on('message', (m: ToFaults) => void handle(m).then((reply) => process.send!(reply)));
  process.once('SIGTERM', () => {
    primary?.child.kill('SIGKILL');
    standby.child.kill('SIGKILL');
    void proxy.close().then(() => process.exit(0));
  });
  process.send!({ type: 'ready' });
}

/** The upstreams process, seen from the bench: replicas, faults and kills, with times on the bench's clock. */
export class Faults {
  /** Add to the child's performance.now() to get this process's. */
  private offsetMs = 0;

  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<Faults> {
    const child = fork(__filename, ['faults'], { execArgv: ['--import', 'tsx'], cwd: join(__dirname, '..') });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the upstreams process exited with ${code} before it was ready`)));
    });
    const faults = new Faults(child);
    // Clock offset from the round trip with the smallest delay.
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20; i += 1) {
      const sent = performance.now();
      const { at } = (await faults.ask({ type: 'ping' })) as { at: number };
      const received = performance.now();
      if (received - sent < best) {
        best = received - sent;
        faults.offsetMs = (sent + received) / 2 - at;
      }
    }
    return faults;
  }

  /** The replicas' URLs, with a fresh primary if the last one was killed or held another ballast. */
  async replicas(primaryBallastMb: number): Promise<ReplicaUrls> {
    return (await this.ask({ type: 'replicas', primaryBallastMb })) as ReplicaUrls;
  }

  async setProxy(mode: ProxyMode): Promise<number> {
    const { at } = (await this.ask({ type: 'fault', mode })) as { at: number };
    return at + this.offsetMs;
  }

  /** SIGKILLs the primary's process; resolves once its port refuses connections and it has exited. */
  async killPrimary(): Promise<KillTimeline> {
    const t = (await this.ask({ type: 'kill' })) as KillTimeline;
    const o = this.offsetMs;
    return { killAt: t.killAt + o, refusedAt: t.refusedAt + o, exitAt: t.exitAt + o, rssMb: t.rssMb };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }

  private ask(message: ToFaults): Promise<FromFaults> {
    return new Promise((resolve) => {
      this.child.once('message', (m) => resolve(m as FromFaults));
      this.child.send(message);
    });
  }
}

if (require.main === module && process.argv[2] === 'faults') {
  serveFaults().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
