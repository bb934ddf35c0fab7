import { summarizeLatency } from './latency';
import { measure } from './measure';
import { phaseOf } from './records';
import type { RequestRecord } from './records';

/** 100 req/s: request i sent at 10*i ms, answered `latency` ms later. */
function records(n: number, shape: (i: number) => Partial<RequestRecord> & { latency?: number } = () => ({})): RequestRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const { latency = 5, ...rest } = shape(i);
    return { seq: i, request: i % 8, scheduledMs: 10 * i, sentMs: 10 * i, doneMs: 10 * i + latency, status: 200, servedBy: 'primary', ...rest };
  });
}

const opts = { sloMs: 100, steadyCount: 5 };

describe('summarizeLatency', () => {
  it('reads percentiles within 0.1% (3 significant digits)', () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => (i + 1) / 10); // 0.1 .. 100 ms
    const s = summarizeLatency(latencies);
    expect(s.count).toBe(1000);
    expect(s.p50Ms).toBeCloseTo(50, 1);
    expect(s.p90Ms).toBeCloseTo(90, 1);
    expect(s.p99Ms).toBeCloseTo(99, 1);
    expect(s.maxMs).toBeCloseTo(100, 1);
    expect(summarizeLatency([])).toEqual({ count: 0, p50Ms: null, p90Ms: null, p99Ms: null, maxMs: null });
  });
});

describe('where the slowest answers spent their time', () => {
  it('splits the slowest 1 % of answers into the answering attempt, the gateway before it, and outside the gateway', () => {
    // 200 answers of 5 ms; the last two took 300 ms: 250 ms waiting for a hedge, 40 ms in it, 10 ms outside the gateway.
    const rs = records(200, (i) => (i >= 198 ? { latency: 300, gatewayMs: 290, upstreamMs: 40, replicaMs: 1 } : { gatewayMs: 4, upstreamMs: 3 }));
    expect(measure(rs, [], opts).phases.baseline.slowest).toEqual({ answers: 2, latencyMs: 300, attemptMs: 40, replicaMs: 1, beforeAttemptMs: 250, outsideMs: 10 });
  });

  it('leaves out failed requests, and says nothing when the gateway gave no timing', () => {
    const rs = records(100, (i) => (i === 99 ? { latency: 900, status: 503, gatewayMs: 900 } : { latency: i === 98 ? 50 : 5, gatewayMs: 2 }));
    expect(measure(rs, [], opts).phases.baseline.slowest).toEqual({ answers: 1, latencyMs: 50, attemptMs: null, beforeAttemptMs: null, outsideMs: 48 });
    expect(measure(records(100), [], opts).phases.baseline).not.toHaveProperty('slowest');
  });
});

describe('phaseOf', () => {
  const faults = [{ effectiveAtMs: 100, revertedAtMs: 200 }];
  const at = (sentMs: number, doneMs = sentMs + 1) => ({ sentMs, doneMs });
  it('splits the run at injection and revert', () => {
    expect(phaseOf(at(50, 99), faults)).toBe('baseline');
    expect(phaseOf(at(100), faults)).toBe('fault');
    expect(phaseOf(at(199), faults)).toBe('fault');
    expect(phaseOf(at(200), faults)).toBe('recovery');
    expect(phaseOf(at(5000), [{ effectiveAtMs: 100 }])).toBe('fault');
    expect(phaseOf(at(5000), [])).toBe('baseline');
  });

  it('counts a request in flight when the fault took effect as the fault\'s, not the baseline\'s', () => {
    expect(phaseOf(at(90, 100), faults)).toBe('fault');
    expect(phaseOf(at(90, 300), faults)).toBe('fault');
    // answered between two fault windows without overlapping either
    expect(phaseOf(at(250, 260), [...faults, { effectiveAtMs: 300, revertedAtMs: 400 }])).toBe('recovery');
  });
});

describe('measure', () => {
  it('reports a clean failover: time to the first standby answer that starts a steady run', () => {
    // Fault at 200 ms; from request 20 on the standby answers, each retry costing 3 ms more.
    const rs = records(60, (i) => (i >= 20 ? { servedBy: 'standby', latency: 8 } : {}));
    const m = measure(rs, [{ effectiveAtMs: 200 }], opts);
    expect(m.failoverMs).toBe(8); // request 20 sent at 200, done at 208
    expect(m.errors).toBe(0);
    expect(m.unavailabilityMs).toBe(0);
    expect(m.phases.baseline.requests).toBe(20);
    expect(m.phases.fault.requests).toBe(40);
    expect(m.phases.fault.servedBy).toEqual({ standby: 40 });
  });

  it('counts failed requests and measures the unavailability window from first to last bad request', () => {
    // Requests 20..24 fail (sent 200..240), then the standby takes over.
    const rs = records(60, (i) => (i >= 20 && i < 25 ? { status: 0, servedBy: undefined, error: 'ECONNRESET', latency: 1 } : i >= 25 ? { servedBy: 'standby' } : {}));
    const m = measure(rs, [{ effectiveAtMs: 200 }], opts);
    expect(m.errors).toBe(5);
    expect(m.phases.baseline.errors).toBe(0);
    expect(m.phases.fault.errors).toBe(5);
    expect(m.unavailabilityMs).toBe(241 - 200); // first bad sent at 200, last bad done at 241
    expect(m.failoverMs).toBe(255 - 200);
  });

  it('counts a failure before a late-seen effective moment in the fault phase, not the baseline', () => {
    // The crash was seen at 230 with 40 ms resolution: requests 20..22 (done 201..221) failed before that moment.
    const rs = records(60, (i) => (i >= 20 && i < 23 ? { status: 0, servedBy: undefined, error: 'ECONNRESET', latency: 1 } : i >= 23 ? { servedBy: 'standby' } : {}));
    const m = measure(rs, [{ effectiveAtMs: 230, earliestAtMs: 190 }], opts);
    expect(m.phases.baseline.errors).toBe(0);
    expect(m.phases.fault.errors).toBe(3);
    expect(m.unavailabilityMs).toBeGreaterThan(0);
    // Failover still counts from the best estimate of the moment, not from its earliest bound, which bounds it above.
    expect(m.failoverMs).toBe(235 - 230);
    expect(m.failoverAtMostMs).toBe(235 - 190);
  });

  it('gives a failover of 0, never a negative one, when the standby took over before the moment the fault was seen', () => {
    // The crash was seen late (at 260 ms, within 70 ms of resolution); the standby answered steadily from 235 ms.
    const rs = records(60, (i) => (i >= 20 && i < 23 ? { status: 0, servedBy: undefined, error: 'ECONNRESET', latency: 1 } : i >= 23 ? { servedBy: 'standby' } : {}));
    const m = measure(rs, [{ effectiveAtMs: 260, earliestAtMs: 190 }], opts);
    expect(m.failoverMs).toBe(0);
    expect(m.failoverAtMostMs).toBe(235 - 190);
  });

  it('does not end a failover on a standby answer that is followed by failures', () => {
    const rs = records(60, (i) => {
      if (i === 20) return { servedBy: 'standby' };
      if (i > 20 && i < 23) return { status: 503, servedBy: undefined };
      return i >= 23 ? { servedBy: 'standby' } : {};
    });
    expect(measure(rs, [{ effectiveAtMs: 200 }], opts).failoverMs).toBe(235 - 200);
  });

  it('measures fail-back from the revert to the first primary answer of a steady run', () => {
    // Fault 200..400 ms; the standby serves 20..44, the primary from 45 (sent 450 ms, done 455 ms).
    const rs = records(80, (i) => (i >= 20 && i < 45 ? { servedBy: 'standby' } : {}));
    const m = measure(rs, [{ effectiveAtMs: 200, revertedAtMs: 400 }], opts);
    expect(m.failbackMs).toBe(455 - 400);
    expect(m.phases.recovery.servedBy).toEqual({ standby: 5, primary: 35 });
    expect(measure(rs, [{ effectiveAtMs: 200 }], opts).failbackMs).toBeNull();
  });

  it('records the moments failover and fail-back are counted from and to, on the load\'s clock', () => {
    const rs = records(80, (i) => (i >= 20 && i < 45 ? { servedBy: 'standby' } : {}));
    const m = measure(rs, [{ effectiveAtMs: 200, revertedAtMs: 400 }], opts);
    expect(m.moments).toEqual({ faultAtMs: 200, failoverEndedAtMs: 205, lastRevertAtMs: 400, failbackAtMs: 455 });
    expect(m.moments.failoverEndedAtMs).toBe(200 + (m.failoverMs as number));
    expect(measure(rs, [], opts).moments).toEqual({ faultAtMs: null, failoverEndedAtMs: null, lastRevertAtMs: null, failbackAtMs: null });
  });

  it('counts failover from the earliest fault that took effect, whatever the order of the windows', () => {
    const rs = records(80, (i) => (i >= 20 ? { servedBy: 'standby' } : {}));
    const m = measure(rs, [{ effectiveAtMs: 500 }, { effectiveAtMs: 200, revertedAtMs: 300 }], opts);
    expect(m.moments.faultAtMs).toBe(200);
    expect(m.failoverMs).toBe(5);
  });

  it('tells clean refusals from other errors', () => {
    const rs = records(10, (i) => (i < 3 ? { status: 503, error: 'no_healthy_replica' } : i < 5 ? { status: 0, error: 'client_timeout' } : i < 6 ? { status: 500, error: 'internal' } : {}));
    const m = measure(rs, [], opts);
    expect(m.errors).toBe(6);
    expect(m.phases.run.uncleanErrors).toBe(3);
  });

  it('reports no failover when the standby never serves', () => {
    const rs = records(60, (i) => (i >= 20 ? { status: 0, servedBy: undefined, error: 'ECONNREFUSED' } : {}));
    const m = measure(rs, [{ effectiveAtMs: 200 }], opts);
    expect(m.failoverMs).toBeNull();
    expect(m.errors).toBe(40);
  });

  it('counts wrong answers and late responses, and keeps errors out of latency', () => {
    const rs = records(10, (i) => (i === 3 ? { wrong: true } : i === 4 ? { latency: 150 } : i === 5 ? { status: 500, latency: 900 } : {}));
    const m = measure(rs, [], opts);
    expect(m.wrongAnswers).toBe(1);
    expect(m.lateResponses).toBe(1);
    expect(m.errors).toBe(1);
    expect(m.phases.run.latency.count).toBe(9);
    expect(m.phases.run.latency.maxMs).toBeCloseTo(150, 0);
    expect(m.failoverMs).toBeNull();
  });
});
