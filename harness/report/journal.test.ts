import { hostileJournal, recordedJournal } from '../../test/report/journals';
import type { RequestRecord } from '../measure/records';
import { journalRecords, measuredMoments, requestOutcomes } from './journal';

const record = (i: number, r: Partial<RequestRecord>): RequestRecord =>
  ({ seq: i, request: 0, scheduledMs: 10 * i, sentMs: 10 * i + 0.123456, doneMs: 10 * i + 5, status: 200, servedBy: 'primary', ...r });

describe('journalRecords', () => {
  it('keeps each request as columns, to the microsecond, with how it counted against the SLO', () => {
    const rs = [
      record(0, {}),
      record(1, { status: 503, servedBy: undefined, error: 'no_healthy_replica' }),
      record(2, { wrong: true, doneMs: 500 }),
      record(3, { servedBy: 'standby', doneMs: 200 }),
    ];
    expect(journalRecords(rs, 100)).toEqual({
      sentMs: [0.123, 10.123, 20.123, 30.123],
      doneMs: [5, 15, 500, 200],
      status: [200, 503, 200, 200],
      servedBy: ['primary', null, 'primary', 'standby'],
      wrong: [false, false, true, false],
      error: [null, 'no_healthy_replica', null, null],
      // A wrong answer that was also late counts as wrong.
      outcome: ['good', 'failed', 'wrong', 'late'],
      sloMs: 100,
    });
  });

  it("keeps the gateway's account of how it answered, when it gave one", () => {
    const rs = [record(0, { failover: 'none' }), record(1, { status: 503, error: 'no_healthy_replica' }), record(2, { servedBy: 'standby', failover: 'hedge' })];
    expect(journalRecords(rs, 100).failover).toEqual(['none', null, 'hedge']);
    expect(journalRecords([record(0, {})], 100)).not.toHaveProperty('failover');
  });

  it("keeps the gateway's own timing, to the microsecond, when it gave one", () => {
    const rs = [record(0, { gatewayMs: 3.14159, upstreamMs: 2.5, replicaMs: 0.5 }), record(1, { status: 503, gatewayMs: 1 }), record(2, {})];
    const columns = journalRecords(rs, 100);
    expect([columns.gatewayMs, columns.upstreamMs, columns.replicaMs]).toEqual([[3.142, 1, null], [2.5, null, null], [0.5, null, null]]);
    expect(journalRecords([record(0, {})], 100)).not.toHaveProperty('gatewayMs');
  });
});

describe('reading a journal written before outcomes and moments were recorded', () => {
  it('judges its requests again from status and wrong, without lateness (it kept no SLO)', () => {
    const journal = recordedJournal();
    const outcomes = requestOutcomes(journal);
    expect(outcomes).toHaveLength(1200);
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(journal.measurements?.errors as number);
    expect(outcomes).not.toContain('late');
  });

  it('places failover from the earliest injection and fail-back from the last revert, as the measurements counted them', () => {
    const journal = hostileJournal();
    delete journal.measurements?.moments;
    journal.faults = [
      { fault: 'a', target: 'primary', at: 1000, attributes: {}, injectedAtMs: 1000, revertedAtMs: 3000 },
      { fault: 'b', target: 'standby', at: 500, attributes: {}, injectedAtMs: 500, revertedAtMs: 2000 },
      { fault: 'c', target: 'primary', at: 200, attributes: {}, error: 'inject failed' },
    ];
    journal.measurements = { ...journal.measurements!, failoverMs: 520, failbackMs: 40 };
    expect(measuredMoments(journal)).toEqual({ faultAtMs: 500, failoverEndedAtMs: 1020, lastRevertAtMs: 3000, failbackAtMs: 3040 });
  });

  it('reads recorded values as they are', () => {
    const journal = hostileJournal();
    expect(measuredMoments(journal)).toBe(journal.measurements?.moments);
    expect(requestOutcomes(journal)).toBe(journal.records?.outcome);
  });
});
