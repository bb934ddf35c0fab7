// k6 load script for `load.driver: k6` (run by harness/load/k6-driver.ts; k6 v1 runs TypeScript directly).
// Open model: constant-arrival-rate starts iteration i at start + i/rate whether or not earlier ones returned.
// Each request is written as one JSON line (console.log into --console-output with --log-format raw): k6 has no
// file writer, and its metric output (--out json) emits a dozen samples per request without the response body.
// The line carries the raw body so the harness judges answers with the same in-process reference as the
// built-in generator, instead of a second copy of the judging rules here.
import { sleep } from 'k6';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { open as openShared, SeekMode, type File } from 'k6/experimental/fs';
import http from 'k6/http';
import type { Options } from 'k6/options';

/** One request as the harness reads it back. Times are wall-clock (Date.now()) milliseconds. */
export interface K6RequestLine {
  /** Position in the send schedule (k6's iteration number in the scenario). */
  seq: number;
  /** Index into the request bodies. */
  request: number;
  /**
   * When k6 started the scenario (Unix ms): its constant-arrival-rate schedule runs from there, not from setup()'s
   * return. Under CPU pressure k6 took 100-145 ms between the two, which counted against every request as
   * lateness though k6 then kept its schedule (a gate case errored on it as "the load generator fell behind").
   */
  scenarioStartWallMs: number;
  sentWallMs: number;
  /** Time from send to the complete response (k6's timings, sub-millisecond); to the give-up for a transport error. */
  elapsedMs: number;
  /** HTTP status; 0 when no response arrived. */
  status: number;
  servedBy?: string;
  failover?: string;
  /** The answer's Server-Timing header, as sent. */
  serverTiming?: string;
  /** k6's error code (https://grafana.com/docs/k6/latest/javascript-api/error-codes/) when the request failed in transport. */
  k6ErrorCode?: number;
  k6Error?: string;
  /** The answer as text (/v1/rank, v2 JSON tensors), or as base64 bytes (v2 binary tensors). */
  body?: string;
  bodyBase64?: string;
  /** The answer's Inference-Header-Content-Length: where its JSON part ends and binary tensors start. */
  headerLength?: string;
}

/** Where request i lies in the bodies file, and the path and headers it is sent with (see k6-driver.ts). */
export interface K6RequestEntry {
  offset: number;
  length: number;
  path: string;
  headers: Record<string, string>;
}

const env = (name: string): string => {
  const value = __ENV[name];
  if (value === undefined || value === '') throw new Error(`rank-load.ts needs the environment variable ${name}`);
  return value;
};
const envNumber = (name: string): number => {
  const value = Number(env(name));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${__ENV[name]}"`);
  return value;
};

const targetUrl = env('DRILL_TARGET_URL');
const binaryAnswers = __ENV['DRILL_BINARY_ANSWERS'] === '1';
const ratePerS = envNumber('DRILL_RATE');
const timeoutMs = envNumber('DRILL_TIMEOUT_MS');
const total = envNumber('DRILL_TOTAL');
// The request bodies, concatenated, and where each one lies in them. A body set is about a megabyte and there
// can be a thousand VUs: k6/experimental/fs keeps one copy for all of them. (A per-VU copy costs that megabyte
// and a JSON parse per VU; SharedArray re-parses an element on every access: measured ~4 ms of CPU per request
// with 15 KiB bodies, so k6 could not hold 200 req/s.)
// Opened in the init context (the only place fs.open is allowed); k6 settles the promise before iterations run.
// (An async IIFE, as k6's docs show, because the harness's tsconfig compiles this file without top-level await.)
let bodiesFile: File | undefined;
void (async () => {
  bodiesFile = await openShared(env('DRILL_BODIES_FILE'));
})();
const bodyIndex = JSON.parse(open(env('DRILL_BODY_INDEX_FILE'))) as K6RequestEntry[];
const preAllocatedVUs = envNumber('DRILL_PRE_ALLOCATED_VUS');
// k6 hands iterations to its VUs in turn, and each VU has its own connections: unwarmed, every VU opened one in the
// first seconds of the schedule, and those sends ran late. VUs are shared by scenarios that do not overlap, so a
// first scenario in which each VU sends one GET to the target's health route warms them all.
const warmPath = __ENV['DRILL_WARM_PATH'];
const warmMs = warmPath ? envNumber('DRILL_WARM_MS') : 0;

export const options: Options = {
  scenarios: {
    ...(warmPath
      ? { warm: { executor: 'per-vu-iterations', exec: 'warm', vus: preAllocatedVUs, iterations: 1, maxDuration: `${warmMs}ms`, gracefulStop: '0s' } }
      : {}),
    rank: {
      exec: 'rank',
      startTime: `${warmMs}ms`,
      executor: 'constant-arrival-rate',
      // k6 takes an integer rate per time unit; per 1000 s keeps fractional rates exact.
      rate: Math.round(ratePerS * 1000),
      timeUnit: '1000s',
      // k6 refuses scenarios shorter than 1 s; iterations past the planned total send nothing (see rank()).
      duration: `${Math.max(1000, envNumber('DRILL_DURATION_MS'))}ms`,
      preAllocatedVUs,
      maxVUs: envNumber('DRILL_MAX_VUS'),
      // Requests in flight at the end finish within their timeout; none is cut off.
      gracefulStop: `${timeoutMs + 1000}ms`,
    },
  },
  // The harness starts k6 ahead of the faults' time zero; setup waits for it (see setup()).
  setupTimeout: '60s',
};

/**
 * Holds the scenarios back until the warm-up's start, so the schedule starts at the harness's time zero and the load
 * and the fault timeline share one clock.
 */
export function setup(): void {
  const startWallMs = envNumber('DRILL_T0_WALL_MS') - warmMs;
  // sleep() can overshoot by a millisecond or two; spin the rest.
  if (startWallMs - Date.now() > 5) sleep((startWallMs - Date.now() - 5) / 1000);
  while (Date.now() < startWallMs) { /* spin */ }
}

/** One GET per VU before the schedule: its connection is open when its first scheduled request is due. */
export function warm(): void {
  http.get(`${targetUrl}${warmPath}`, { timeout: `${warmMs}ms`, responseType: 'none' });
}

export async function rank(): Promise<void> {
  const seq = exec.scenario.iterationInTest;
  // The arrival loop can start one iteration at the very end of the duration: the schedule has exactly `total`.
  if (seq >= total) return;
  const request = seq % bodyIndex.length;
  const { offset, length, path, headers } = bodyIndex[request] as K6RequestEntry;
  const body = new Uint8Array(length);
  if (!bodiesFile) throw new Error('the bodies file is not open: k6 did not settle the init context');
  await bodiesFile.seek(offset, SeekMode.Start);
  await bodiesFile.read(body);
  const sentWallMs = Date.now();
  const res = http.post(`${targetUrl}${path}`, body.buffer, {
    headers,
    timeout: `${timeoutMs}ms`,
    responseType: binaryAnswers ? 'binary' : 'text',
  });
  const t = res.timings;
  const line: K6RequestLine = {
    seq,
    request,
    scenarioStartWallMs: exec.scenario.startTime,
    sentWallMs,
    elapsedMs: res.status === 0 ? Date.now() - sentWallMs : t.blocked + t.connecting + t.tls_handshaking + t.duration,
    status: res.status,
  };
  const servedBy = res.headers['X-Served-By'];
  const failover = res.headers['X-Failover'];
  if (servedBy) line.servedBy = servedBy;
  if (failover) line.failover = failover;
  const serverTiming = res.headers['Server-Timing'];
  if (serverTiming) line.serverTiming = serverTiming;
  if (res.error_code) {
    line.k6ErrorCode = res.error_code;
    line.k6Error = res.error;
  }
  const headerLength = res.headers['Inference-Header-Content-Length'];
  if (headerLength) line.headerLength = headerLength;
  if (typeof res.body === 'string' && res.body !== '') line.body = res.body;
  else if (res.body instanceof ArrayBuffer && res.body.byteLength > 0) line.bodyBase64 = encoding.b64encode(res.body);
  console.log(JSON.stringify(line));
}
