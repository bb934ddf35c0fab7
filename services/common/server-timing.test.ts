import { gatewayServerTiming, replicaServerTiming, serverTimingDurations } from './server-timing';

describe('Server-Timing', () => {
  it("reads back the gateway's own header", () => {
    expect(serverTimingDurations(gatewayServerTiming(12.345, 3.2))).toEqual({ gateway: 12.35, upstream: 3.2 });
    expect(serverTimingDurations(gatewayServerTiming(0.5))).toEqual({ gateway: 0.5 });
    expect(serverTimingDurations(gatewayServerTiming(9, 8, 1.234))).toEqual({ gateway: 9, upstream: 8, replica: 1.23 });
    expect(serverTimingDurations(replicaServerTiming(0.456))).toEqual({ replica: 0.46 });
  });

  it('reads the forms the specification allows: descriptions, quoted durations, several headers, metrics without a duration', () => {
    const header = ['cache;desc="Cache Read";dur=23.2', 'db;dur="53", missedCache', 'total;DUR=1e1'];
    expect(serverTimingDurations(header)).toEqual({ cache: 23.2, db: 53, total: 10 });
  });

  it('gives nothing for no header or one without durations', () => {
    expect(serverTimingDurations(undefined)).toEqual({});
    expect(serverTimingDurations('')).toEqual({});
    expect(serverTimingDurations('miss, gateway;dur=abc')).toEqual({});
  });
});
