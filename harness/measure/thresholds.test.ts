import { measure } from './measure';
import type { RequestRecord } from './records';
import { evaluate } from './thresholds';

const rs: RequestRecord[] = Array.from({ length: 40 }, (_, i) => ({
  seq: i, request: 0, scheduledMs: 10 * i, sentMs: 10 * i, doneMs: 10 * i + 4, status: i === 22 ? 502 : 200, servedBy: i >= 20 ? 'standby' : 'primary',
}));
const m = measure(rs, [{ effectiveAtMs: 200 }], { sloMs: 100, steadyCount: 5 });

it('passes a limit that holds and fails one that does not, per phase', () => {
  const [errorsRun, errorsBaseline, failover] = evaluate(m, [
    { metric: 'errors', max: 0, phase: 'run' },
    { metric: 'errors', max: 0, phase: 'baseline' },
    { metric: 'failoverMs', max: 5, phase: 'run' },
  ]);
  expect(errorsRun).toMatchObject({ name: 'errors[run] <= 0', observed: 1, pass: false });
  expect(errorsBaseline).toMatchObject({ observed: 0, pass: true });
  // The standby's first answers (20, 21) are followed by a failure (22): failover ends with 23's run.
  expect(failover).toMatchObject({ observed: 234 - 200, pass: false });
});

it('fails a limit on an event that never happened', () => {
  const none = measure(rs.map((r) => ({ ...r, servedBy: 'primary' as const })), [{ effectiveAtMs: 200 }], { sloMs: 100, steadyCount: 5 });
  expect(evaluate(none, [{ metric: 'failoverMs', max: 1e9, phase: 'run' }])[0]).toMatchObject({ observed: null, pass: false });
});

it('bounds a metric from below with min', () => {
  const [requests] = evaluate(m, [{ metric: 'requests', min: 41, phase: 'run' }]);
  expect(requests).toMatchObject({ name: 'requests[run] >= 41', observed: 40, bound: 'min', pass: false });
  expect(evaluate(m, [{ metric: 'requests', min: 40, phase: 'run' }])[0]?.pass).toBe(true);
});
