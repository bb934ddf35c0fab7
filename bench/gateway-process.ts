// The processes a request crosses between the load generator and the replicas in the gateway bench: the gateway
// as deployed, or a byte-for-byte TCP relay as the floor any proxy process adds.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { deployedEntry } from './deployed';

export interface Hop {
  url: string;
  stop(): Promise<void>;
}

/** A breaker transition the gateway logged, stamped when its line reached this process. */
export interface BreakerEvent {
  at: number;
  role: string;
  breaker: 'open' | 'closed';
  reason: string;
}

export interface Gateway extends Hop {
  breakerEvents: BreakerEvent[];
}

// BENCH_VERBOSE=1 prints the gateway's log on stderr, on this process's clock; BENCH_GATEWAY_ARGS passes flags on
// to the gateway (to compare settings, e.g. '--no-failover-rehearsal').
export const VERBOSE = process.env.BENCH_VERBOSE === '1';

let gatewayEntry: Promise<string> | undefined;

export async function startGateway(primary: string, standby: string): Promise<Gateway> {
  gatewayEntry ??= deployedEntry('router');
  const args = ['--primary', primary, '--standby', standby, '--port', '0', '--host', '127.0.0.1', ...(process.env.BENCH_GATEWAY_ARGS ? process.env.BENCH_GATEWAY_ARGS.split(' ') : [])];
  const child = spawn(process.execPath, [await gatewayEntry, ...args], {
    cwd: join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const breakerEvents: BreakerEvent[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not log "router listening" within 15 s')), 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const at = performance.now();
      const entry = JSON.parse(line) as { msg: string; url?: string } & Omit<BreakerEvent, 'at'>;
      if (VERBOSE) console.error(`${at.toFixed(1)} ms ${line}`);
      if (entry.msg.startsWith('breaker ')) breakerEvents.push({ at, role: entry.role, breaker: entry.breaker, reason: entry.reason });
      if (entry.msg === 'router listening') {
        clearTimeout(timer);
        resolve(entry.url!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before listening`)));
  });
  return { url, breakerEvents, stop: () => stopChild(child) };
}

/**
 * A byte-for-byte TCP relay in its own process, reading no HTTP: what any proxy process in the path costs on
 * this machine (two more loopback hops, two more wake-ups), the floor of the gateway's added latency.
 */
export async function startRelay(target: string): Promise<Hop> {
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
  return { url: `http://127.0.0.1:${line}`, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
