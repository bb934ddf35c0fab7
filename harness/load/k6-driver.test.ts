import { InfrastructureError } from '../errors';
import type { K6RequestLine } from './k6/rank-load';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K6_GOGC, k6Environment, parseK6Lines, runK6Load } from './k6-driver';
import { loadShortfall } from './open-load';
import { V1_PROTOCOL, v1Requests } from './protocol';
import type { Judge } from './reference';

const T0_WALL_MS = 1_700_000_000_000.25;
/** Judges by the body it is given, so the test sees which body reached it. */
const judge: Judge = Object.assign((request: number, body: string | Uint8Array) => (body === `ok-${request}` ? { maxAbsDelta: 0, wrong: false } : { maxAbsDelta: Infinity, wrong: true }), { references: [], protocol: V1_PROTOCOL });
const line = (l: Partial<K6RequestLine> & Pick<K6RequestLine, 'seq'>): string =>
  JSON.stringify({ request: l.seq % 4, scenarioStartWallMs: T0_WALL_MS - 0.25, sentWallMs: T0_WALL_MS - 0.25 + 5 * l.seq, elapsedMs: 1.5, status: 200, ...l });

describe('parseK6Lines', () => {
  it('rebuilds records on the load clock, in schedule order, judged by their bodies', () => {
    const text = [
      line({ seq: 1, servedBy: 'standby', failover: 'retry', serverTiming: 'gateway;dur=1.2, upstream;dur=0.8', body: 'garbled' }),
      '',
      line({ seq: 0, servedBy: 'primary', failover: 'none', body: 'ok-0' }),
      line({ seq: 2, elapsedMs: 0.25, body: 'ok-2' }),
    ].join('\n');
    expect(parseK6Lines(text, { rate: 200 }, T0_WALL_MS, judge)).toEqual([
      { seq: 0, request: 0, scheduledMs: -0.25, sentMs: -0.25, doneMs: 1.25, status: 200, servedBy: 'primary', failover: 'none', maxAbsDelta: 0, wrong: false },
      { seq: 1, request: 1, scheduledMs: 4.75, sentMs: 4.75, doneMs: 6.25, status: 200, servedBy: 'standby', failover: 'retry', gatewayMs: 1.2, upstreamMs: 0.8, maxAbsDelta: Infinity, wrong: true },
      { seq: 2, request: 2, scheduledMs: 9.75, sentMs: 9.75, doneMs: 10, status: 200, maxAbsDelta: 0, wrong: false },
    ]);
  });

  it("counts lateness from k6's own schedule: a scenario started after t0 shifts every slot, it is not a late send", () => {
    // k6 started the scenario 120 ms after t0 and then sent each request in its slot.
    const started = T0_WALL_MS + 120;
    const text = [0, 1, 2].map((seq) => line({ seq, scenarioStartWallMs: started, sentWallMs: started + 5 * seq + 0.5, body: `ok-${seq}` })).join('\n');
    const records = parseK6Lines(text, { rate: 200 }, T0_WALL_MS, judge);
    expect(records.map((r) => [r.scheduledMs, r.sentMs])).toEqual([[120, 120.5], [125, 125.5], [130, 130.5]]);
    expect(loadShortfall(records, 3)).toBeUndefined();
  });

  it('names errors like the built-in generator: body error code, HTTP status, transport failure', () => {
    const text = [
      line({ seq: 0, status: 503, k6ErrorCode: 1503, k6Error: 'HTTP 503', body: JSON.stringify({ error: { code: 'no_healthy_replica', message: 'x' } }) }),
      line({ seq: 1, status: 502, body: '<html>bad gateway</html>' }),
      line({ seq: 2, status: 0, k6ErrorCode: 1050, k6Error: 'request timeout', elapsedMs: 2000 }),
      line({ seq: 3, status: 0, k6ErrorCode: 1212, k6Error: 'dial: connection refused' }),
      line({ seq: 4, status: 0, k6ErrorCode: 1000, k6Error: 'unexpected EOF' }),
    ].join('\n');
    const records = parseK6Lines(text, { rate: 200 }, T0_WALL_MS, judge);
    expect(records.map((r) => [r.status, r.error])).toEqual([
      [503, 'no_healthy_replica'],
      [502, 'http_502'],
      [0, 'client_timeout'],
      [0, 'ECONNREFUSED'],
      [0, 'k6 1000: unexpected EOF'],
    ]);
    expect(records.every((r) => r.wrong === undefined)).toBe(true);
    expect(records[2]).toMatchObject({ sentMs: 9.75, doneMs: 2009.75 });
  });

  it('judges a 2xx without a body as wrong rather than right', () => {
    expect(parseK6Lines(line({ seq: 0 }), { rate: 1 }, T0_WALL_MS, judge)[0]).toMatchObject({ status: 200, wrong: true });
  });

  it('refuses output that is not one JSON object per line', () => {
    const parse = (): unknown => parseK6Lines(`${line({ seq: 0 })}\nWARN something else`, { rate: 1 }, T0_WALL_MS, judge);
    expect(parse).toThrow(InfrastructureError);
    expect(parse).toThrow(/k6 output line 2 is not JSON/);
  });
});

it('a missing k6 is an infrastructure error that says to run setup', async () => {
  const plan = { url: 'http://127.0.0.1:9', rate: 10, durationMs: 1000, timeoutMs: 100, requests: v1Requests(['{}']), t0: 0 };
  const run = runK6Load(plan, judge, '/nonexistent/k6');
  await expect(run).rejects.toThrow(InfrastructureError);
  await expect(run).rejects.toThrow(/k6 is not executable at \/nonexistent\/k6: run `npx drill setup --k6`/);
});

describe("k6's Go GC target", () => {
  it('is K6_GOGC unless the environment sets its own', () => {
    expect(k6Environment({ PATH: '/bin' })).toEqual({ PATH: '/bin', GOGC: K6_GOGC });
    expect(k6Environment({ PATH: '/bin', GOGC: '150' })).toEqual({ PATH: '/bin', GOGC: '150' });
  });

  it('reaches the k6 process the driver starts', async () => {
    // A stand-in k6 that prints the GOGC it was given and fails, so the driver quotes its output in the error.
    const dir = await mkdtemp(join(tmpdir(), 'fake-k6-'));
    const k6 = join(dir, 'k6');
    await writeFile(k6, '#!/bin/sh\necho "GOGC=$GOGC"\nexit 3\n');
    await chmod(k6, 0o755);
    try {
      const plan = { url: 'http://127.0.0.1:9', rate: 10, durationMs: 1000, timeoutMs: 100, requests: v1Requests(['{}']), t0: 0 };
      await expect(runK6Load(plan, judge, k6)).rejects.toThrow(new RegExp(`k6 exited with 3: GOGC=${process.env['GOGC'] ?? K6_GOGC}$`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
