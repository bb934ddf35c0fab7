import { HOSTILE, hostileJournal, recordedJournal } from '../../../test/report/journals';
import type { Journal } from '../journal';
import { timelineData } from './timeline-data';

describe('timelineData', () => {
  it('plots every request exactly once: by replica, failed requests and wrong answers apart', () => {
    const data = timelineData(hostileJournal());
    expect(data.xs).toHaveLength(40);
    expect(data.series.map((s) => [s.label, s.kind, s.count])).toEqual([
      ['primary', 'replica', 19],
      ['standby', 'replica', 14],
      [HOSTILE, 'replica', 1],
      ['failed', 'failed', 5],
      ['wrong answer', 'wrong', 1],
    ]);
    for (let i = 0; i < 40; i++) expect(data.series.filter((s) => s.ys[i] !== null)).toHaveLength(1);
    // A 0 ms failure still shows on the log scale.
    expect(data.series.find((s) => s.kind === 'failed')?.ys[10]).toBe(0.01);
  });

  it('plots each request under the outcome the journal recorded for it, not one read again from its status', () => {
    const journal = hostileJournal();
    const records = journal.records as NonNullable<Journal['records']>;
    records.outcome = (records.outcome ?? []).map((o, i) => (i === 3 ? 'failed' : i === 4 ? 'late' : o));
    const data = timelineData(journal);
    expect(records.status[3]).toBe(200);
    expect(data.series.find((s) => s.kind === 'failed')?.ys[3]).not.toBeNull();
    // A late answer is still its replica's.
    expect(data.series.find((s) => s.label === 'primary')?.ys[4]).not.toBeNull();
  });

  it('shades a fault that was never reverted to the end of the load, and places the failover line', () => {
    const data = timelineData(hostileJournal());
    expect(data.faults).toEqual([{ label: `${HOSTILE} primary`, requested: null, from: 1, to: 4, reverted: false }]);
    expect(data.events).toEqual([{ label: 'standby steady (failover 520.0 ms)', at: 1.52 }]);
  });

  it('starts a fault window where the fault took effect, and keeps the request before it', () => {
    const journal = hostileJournal();
    journal.faults = [{ fault: 'crash', target: 'primary', at: 1000, attributes: {}, requestedAtMs: 1000.4, effectiveAtMs: 1027.9, effect: { method: 'port refused', resolutionMs: 1.3 }, revertedAtMs: 3000 }];
    expect(timelineData(journal).faults).toEqual([{ label: 'crash primary (took effect +27.5 ms)', requested: 1.0004, from: 1.0279, to: 3, reverted: true }]);
  });

  it('draws the failover and fail-back lines at the moments the journal recorded, not from the first fault listed', () => {
    const journal = hostileJournal();
    // The second fault listed took effect first; the measurements counted from it.
    journal.faults = [
      { fault: 'latency', target: 'primary', at: 1000, attributes: {}, injectedAtMs: 1000, revertedAtMs: 2500 },
      { fault: 'crash', target: 'primary', at: 800, attributes: {}, injectedAtMs: 800, revertedAtMs: 2000 },
    ];
    const m = journal.measurements as NonNullable<Journal['measurements']>;
    journal.measurements = { ...m, failoverMs: 520, failbackMs: 150, moments: { faultAtMs: 800, failoverEndedAtMs: 1320, lastRevertAtMs: 2500, failbackAtMs: 2650 } };
    expect(timelineData(journal).events).toEqual([
      { label: 'standby steady (failover 520.0 ms)', at: 1.32 },
      { label: 'primary steady (fail-back 150.0 ms)', at: 2.65 },
    ]);
  });

  it('plots a journal recorded before outcomes and moments were: failures from its status codes, lines from its faults', () => {
    const journal = recordedJournal();
    expect(journal.records?.outcome).toBeUndefined();
    expect(journal.measurements?.moments).toBeUndefined();
    const data = timelineData(journal);
    expect(data.series.reduce((n, s) => n + s.count, 0)).toBe(journal.records?.sentMs.length);
    expect(data.series.find((s) => s.kind === 'failed')?.count).toBe(journal.measurements?.errors);
    const injectedAtMs = journal.faults[0]?.injectedAtMs as number;
    expect(data.events).toEqual([{ label: 'standby steady (failover 248.5 ms)', at: (injectedAtMs + (journal.measurements?.failoverMs as number)) / 1000 }]);
  });
});
