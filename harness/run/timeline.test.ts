import { journalTiming } from './timeline';

describe('journalTiming', () => {
  it('records the request, the effect and Docker\'s exit in ms from the load\'s start, to the microsecond', () => {
    const t0 = 10_000.123_4;
    const effect = { atMs: 12_027.654_321, resolutionMs: 1.234_567, method: 'a TCP connect was refused', exitedAtMs: 12_025.5 };
    expect(journalTiming(12_000.2, effect, t0)).toEqual({
      requestedAtMs: 2000.077,
      effectiveAtMs: 2027.531,
      effect: { method: 'a TCP connect was refused', resolutionMs: 1.235, exitedAtMs: 2025.377 },
    });
  });

  it('leaves out the moments the fault did not observe', () => {
    const { effect } = journalTiming(5, { atMs: 7, resolutionMs: 2, method: 'the Toxiproxy API answered' }, 0);
    expect(effect).toEqual({ method: 'the Toxiproxy API answered', resolutionMs: 2 });
  });
});
