// Load-driver benchmark: the highest open-model rate each driver holds while keeping full per-request records
// (every response parsed and judged), the built-in generator and k6 against the same stand-in gateway in one
// run. The stand-in runs in its own process, as the gateway does, and answers like it (scores, model identity,
// x-served-by, x-failover) without computing anything, so the client is what runs out first.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { RankRequest, RankResponse } from '../services/common/contract';
import { generateRequests } from '../services/model/requests';
import { installedK6, K6_START_LEAD_MS, runK6Load } from '../harness/load/k6-driver';
import { LATE_START_MS, loadShortfall, runOpenLoad, type Judge, type LoadPlan } from '../harness/load/open-load';
import { v1Requests } from '../harness/load/protocol';
import { makeJudge } from '../harness/load/reference';
import type { RequestRecord } from '../harness/measure/records';
import { percentile } from './stats';

const RATES = [200, 500, 1000, 2000, 4000];
const STEP_MS = 3000;
/** Every step runs this often, drivers alternating first: a shared 2-core machine makes single runs noisy. */
const REPEATS = 3;
const TIMEOUT_MS = 1000;
/** A request that left more than this after its slot counts as a late start (the table's "late" column). */
const LATE_MS = 10;
/** A rate counts as held when most of its runs held it. */
const HELD_RUNS = Math.ceil((REPEATS + 1) / 2);
const SMALL_VU_POOL = 100;
const REQUEST_SET = { count: 64, candidates: 100, seed: 7 };
const SHA256 = 'stand-in';

/** Stand-in scores: cheap to compute, different for every request, so the judge has real work. */
const scoresOf = (r: RankRequest): number[] => r.candidates.map((c) => c.features[0] as number);

/** The stand-in gateway: answers request i with its precomputed response, found from the userId at the start of the body. */
function serveStandIn(): void {
  const requests = generateRequests(REQUEST_SET);
  const byUser = new Map(requests.map((r) => {
    const response: RankResponse = { scores: scoresOf(r), ranking: [], model: { version: 'v1', sha256: SHA256, precision: 'fp32' }, replica: { name: 'primary-0', role: 'primary' } };
    return [r.userId, JSON.stringify(response)];
  }));
  const server = createServer((req, res) => {
    let head = '';
    req.on('data', (chunk: Buffer) => {
      if (head.length < 64) head += chunk.toString('latin1', 0, 64);
    });
    req.on('end', () => {
      const body = byUser.get(Number(/"userId":(\d+)/.exec(head)?.[1]));
      res.writeHead(body ? 200 : 400, { 'content-type': 'application/json', 'x-served-by': 'primary', 'x-failover': 'none' });
      res.end(body ?? '{"error":{"code":"unknown_user","message":"not in the request set"}}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
}

async function startStandIn(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, 'stand-in'], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: child.stdout! })) {
    const { port } = JSON.parse(line) as { port: number };
    return { child, url: `http://127.0.0.1:${port}` };
  }
  throw new Error('the stand-in gateway exited before listening');
}

interface Step {
  driver: string;
  rate: number;
  scheduled: number;
  records: RequestRecord[];
}


interface Row {
  held: boolean;
  lateShare: number;
  cells: string[];
}

function row(s: Step): Row {
  const sent = s.records.length;
  const lastSentMs = Math.max(...s.records.map((r) => r.sentMs));
  const late = s.records.filter((r) => r.sentMs - r.scheduledMs > LATE_MS).length;
  const errors = s.records.filter((r) => r.status < 200 || r.status >= 300).length;
  const wrong = s.records.filter((r) => r.wrong).length;
  const latencies = s.records.map((r) => r.doneMs - r.sentMs);
  const lateShare = late / s.scheduled;
  // Held: the runner would accept this as the planned load (all sent, <= 1% late by LATE_START_MS) and nothing failed.
  const held = loadShortfall(s.records, s.scheduled) === undefined && errors === 0 && wrong === 0;
  // Achieved: requests sent over the time it took to send them (a driver that falls behind stretches the load).
  const achieved = sent / (Math.max(lastSentMs, STEP_MS - 1000 / s.rate) / 1000);
  return {
    held,
    lateShare,
    cells: [
      s.driver, String(s.rate), `${sent}/${s.scheduled}`, achieved.toFixed(0), `${(lateShare * 100).toFixed(1)}%`,
      `${(percentile(s.records.map((r) => r.sentMs - r.scheduledMs), 99)).toFixed(1)}`,
      String(errors), String(wrong), percentile(latencies, 50).toFixed(2), percentile(latencies, 99).toFixed(2),
    ],
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export async function run(): Promise<void> {
  const k6 = installedK6();
  const requests = generateRequests(REQUEST_SET);
  const bodies = requests.map((r) => JSON.stringify(r));
  const wire = v1Requests(bodies);
  const judge: Judge = makeJudge([{ sha256: SHA256, precision: 'fp32', scores: requests.map((r) => Float32Array.from(scoresOf(r))) }]);
  const drivers: [string, (plan: LoadPlan) => Promise<RequestRecord[]>, number][] = [
    ['built-in', (plan) => runOpenLoad(plan, judge), 20],
    ['k6', (plan) => runK6Load(plan, judge, k6), K6_START_LEAD_MS],
    // The drills' default sizes k6's VU pool for every request to wait out its timeout (rate x timeout VUs);
    // a small pool shows what that costs, at the price of dropping requests when the target stalls.
    [`k6, ${SMALL_VU_POOL} VUs`, (plan) => runK6Load(plan, judge, k6, { preAllocatedVUs: SMALL_VU_POOL, maxVUs: SMALL_VU_POOL }), K6_START_LEAD_MS],
  ];
  const { child, url } = await startStandIn();
  const steps: Step[] = [];
  try {
    // Warm the stand-in and the connection path once, unrecorded.
    await runOpenLoad({ url, rate: 500, durationMs: 1000, timeoutMs: TIMEOUT_MS, requests: wire, t0: performance.now() }, judge);
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const rate of RATES) {
        for (const [driver, load, leadMs] of repeat % 2 ? [...drivers].reverse() : drivers) {
          const records = await load({ url, rate, durationMs: STEP_MS, timeoutMs: TIMEOUT_MS, requests: wire, t0: performance.now() + leadMs });
          steps.push({ driver, rate, scheduled: Math.round((rate * STEP_MS) / 1000), records });
        }
      }
    }
  } finally {
    child.kill('SIGTERM');
  }
  // Per driver and rate: the run with the median late share stands for all, with how many of the runs held.
  const summary = RATES.flatMap((rate) => drivers.map(([driver]) => {
    const runs = steps.filter((s) => s.driver === driver && s.rate === rate).map(row).sort((a, b) => a.lateShare - b.lateShare);
    const held = runs.filter((r) => r.held).length;
    return { driver, rate, held: held >= HELD_RUNS, cells: [...(runs[Math.floor(runs.length / 2)] as Row).cells, `${held}/${runs.length}`] };
  }));
  console.log(`open model, ${STEP_MS / 1000} s per step, ${REPEATS} runs each (median run shown), ${REQUEST_SET.candidates} candidates per request (~${Math.round(bodies[0]!.length / 1024)} KiB), every response parsed and judged; late = sent > ${LATE_MS} ms after its slot; a run holds its rate when the runner would accept its load (all sent, <= 1% later than ${LATE_START_MS} ms) with no error`);
  console.log(table(['driver', 'req/s', 'sent', 'achieved/s', 'late', 'p99 start lag ms', 'errors', 'wrong', 'p50 ms', 'p99 ms', 'runs held'], summary.map((r) => r.cells)));
  // The highest rate held with every lower rate held too: one lucky run at a high rate is not capacity.
  const highest = (driver: string): number => {
    let rate = 0;
    for (const s of summary.filter((r) => r.driver === driver)) {
      if (!s.held) break;
      rate = s.rate;
    }
    return rate;
  };
  const builtIn = highest('built-in');
  console.log(`highest rate held (every lower rate held too): ${drivers.map(([driver]) => {
    const rate = highest(driver);
    return `${driver} ${rate || 'none'}${rate && driver !== 'built-in' && builtIn ? ` (built-in/${driver} = ${(builtIn / rate).toFixed(1)})` : ''}`;
  }).join(', ')} req/s; ${RATES[RATES.length - 1]} req/s is the top of the ladder`);
}

if (require.main === module) {
  if (process.argv[2] === 'stand-in') serveStandIn();
  else run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
