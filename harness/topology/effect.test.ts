import { dockerTimeToPerformanceMs, processEnded, whenAnswered } from './effect';

describe('dockerTimeToPerformanceMs', () => {
  const origin = Date.parse('2026-11-29T18:05:00Z');

  it('keeps the nanoseconds Date.parse would drop', () => {
    expect(dockerTimeToPerformanceMs('2026-11-29T18:05:18.689548484Z', origin)).toBeCloseTo(18_689.548484, 6);
  });

  it('reads whole seconds, short fractions and an offset zone', () => {
    expect(dockerTimeToPerformanceMs('2026-11-29T18:05:01Z', origin)).toBe(1000);
    expect(dockerTimeToPerformanceMs('2026-11-29T18:05:01.5Z', origin)).toBe(1500);
    expect(dockerTimeToPerformanceMs('2026-11-29T19:05:02.25+01:00', origin)).toBe(2250);
  });

  it('names a value that is not a timestamp', () => {
    expect(() => dockerTimeToPerformanceMs('yesterday', origin)).toThrow('not a Docker timestamp (RFC 3339): "yesterday"');
  });
});

describe('processEnded', () => {
  const call = { call: 'docker kill', calledMs: 1000, answeredMs: 1110 };
  const refused = { atMs: 1027.5, resolutionMs: 1.2, method: 'a TCP connect was refused' };

  it('takes the port refusal when the probe saw it, with Docker\'s exit time beside it', () => {
    expect(processEnded({ ...call, refused, exitedAtMs: 1026 })).toEqual({ ...refused, exitedAtMs: 1026 });
  });

  it('places a refusal the probe saw late at Docker\'s exit time, which the port\'s closing precedes', () => {
    const late = { atMs: 1090, resolutionMs: 80, method: 'a TCP connect was refused' };
    expect(processEnded({ ...call, refused: late, exitedAtMs: 1030 })).toEqual({ atMs: 1030, resolutionMs: 20, method: expect.stringContaining('placed there'), exitedAtMs: 1030 });
    // An exit time before the last accepted connect is on another clock: the probe's bounds stand.
    expect(processEnded({ ...call, refused: late, exitedAtMs: 1005 })).toEqual({ ...late, exitedAtMs: 1005 });
  });

  it('falls back to Docker\'s exit time, bounded below by the call', () => {
    expect(processEnded({ ...call, exitedAtMs: 1026 })).toEqual({ atMs: 1026, resolutionMs: 26, method: expect.stringContaining('State.FinishedAt'), exitedAtMs: 1026 });
  });

  it('takes the call\'s answer when the exit time lies outside the call (another machine\'s clock)', () => {
    const effect = processEnded({ ...call, exitedAtMs: 400 });
    expect(effect).toEqual({ atMs: 1110, resolutionMs: 110, method: expect.stringContaining('the docker kill call answered'), exitedAtMs: 400 });
  });
});

describe('whenAnswered', () => {
  it('places the change at the answer, no earlier than the call', async () => {
    const effect = await whenAnswered('the API answered', () => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(effect.method).toBe('the API answered');
    expect(effect.resolutionMs).toBeGreaterThanOrEqual(19);
  });
});
